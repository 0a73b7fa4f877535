using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Core.Usage;
using InfisicalKms.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// A bUnit context wired to a real <see cref="CoreTestHost"/>: the Core services the pages inject, a
/// <see cref="UserSession"/>, and bUnit's authentication state for the signed-in user (the admin until
/// <see cref="SignIn"/> says otherwise). xunit 2 disposes synchronously, so the Mud services are disposed
/// through <see cref="IAsyncLifetime"/> (platform-notes P6).
/// </summary>
public abstract class KmsComponentTest : BunitContext, IAsyncLifetime
{
    private readonly BunitAuthorizationContext _auth;

    protected KmsComponentTest(CoreTestHost core)
    {
        Core = core;
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);   // the build machines have 2 cores; RSA-4096 alone takes seconds
        this.AddMudTestServices();
        Services.AddSingleton(core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>());
        Services.AddSingleton(core.Services.GetRequiredService<KeyService>());
        Services.AddSingleton(core.Services.GetRequiredService<KeyCryptoService>());
        Services.AddSingleton(core.Services.GetRequiredService<KeyLifecycleService>());
        Services.AddSingleton(core.Services.GetRequiredService<ProjectService>());
        Services.AddSingleton(core.Services.GetRequiredService<MembershipService>());
        Services.AddSingleton(core.Services.GetRequiredService<IdentityService>());
        Services.AddSingleton(core.Services.GetRequiredService<OrganizationMemberService>());
        Services.AddSingleton(core.Services.GetRequiredService<TimeProvider>());
        Services.AddSingleton(core.Services.GetRequiredService<InfisicalKms.Core.RootKeys.RootKey>());
        Services.AddSingleton(core.Services.GetRequiredService<AuditLogService>());
        Services.AddSingleton(core.Services.GetRequiredService<KeyUsageService>());
        Services.AddSingleton(core.Services.GetRequiredService<KmipClientService>());
        Services.AddSingleton(core.Services.GetRequiredService<KmipCertificateAuthority>());
        Services.AddSingleton(core.Services.GetRequiredService<IOptions<KmipSettings>>());
        Services.AddScoped<UserSession>();
        _auth = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));   // P8; after the services: it builds the renderer
        SignIn(core.Admin);
    }

    protected CoreTestHost Core { get; }

    /// <summary>Signs in as <paramref name="user"/>: the name claim and the user id UserSession reads.</summary>
    protected void SignIn(KmsUser user)
    {
        _auth.SetAuthorized(user.Email!);
        _auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()));
    }

    /// <summary>Renders the dialog provider and shows <typeparamref name="TDialog"/> in it, as the page does.</summary>
    protected async Task<(IRenderedComponent<MudDialogProvider> Dialogs, IDialogReference Dialog)> ShowAsync<TDialog>(DialogParameters<TDialog> parameters)
        where TDialog : IComponent
    {
        IRenderedComponent<MudDialogProvider> provider = Render<MudDialogProvider>();
        IDialogReference dialog = await provider.ShowDialogAsync(Services.GetRequiredService<IDialogService>(), typeof(TDialog).Name, parameters);
        return (provider, dialog);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await base.DisposeAsync();
}
