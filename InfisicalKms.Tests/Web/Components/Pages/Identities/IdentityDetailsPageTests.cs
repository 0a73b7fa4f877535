using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Identities;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace InfisicalKms.Tests.Web.Components.Pages.Identities;

/// <summary>One identity's details: Universal Auth, client secrets (shown once), and its projects, all persisted through Core.</summary>
public sealed class IdentityDetailsPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private static readonly AttachUniversalAuthRequest Defaults = new(7200, 2_592_000, TrustedIpRange.Everyone, TrustedIpRange.Everyone);

    private IdentityService Identities => Core.Services.GetRequiredService<IdentityService>();

    [Fact]
    public async Task AttachUniversalAuth_WithTtlsAndTrustedIps_ShowsTheClientIdAndStoresTheSettings()
    {
        // Arrange
        IdentityInfo identity = await CreateIdentityAsync("ua-service");
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);
        page.WaitForElement("#ua-not-configured");

        // Act
        page.Find("#ua-ttl").Change("600");
        page.Find("#ua-max-ttl").Change("3600");
        page.Find("#ua-access-ips-input").Input("10.0.0.0/8, 192.168.1.7");
        page.Find("#ua-attach").Click();

        // Assert
        snackbars.AssertSnackbar("Universal Auth attached");
        UniversalAuthConfig stored = await Identities.GetUniversalAuthAsync(Core.AdminActor, Id(identity), CancellationToken.None);
        Assert.Equal((600, 3600), (stored.AccessTokenTtl, stored.AccessTokenMaxTtl));
        Assert.Equal("10.0.0.0/8,192.168.1.7/32", stored.AccessTokenTrustedIps);
        Assert.Equal("0.0.0.0/0,::/0", stored.ClientSecretTrustedIps);
        page.WaitForAssertion(() => Assert.Equal(stored.ClientId.ToString(), page.FieldValue("client-id")));
        Assert.Equal("10.0.0.0/8, 192.168.1.7/32", page.Find("#ua-access-ips").TextContent.Trim());
        page.WaitForAssertion(() => Assert.Equal("universal-auth", page.Find("#identity-auth-methods").TextContent.Trim()));
    }

    [Fact]
    public async Task AttachUniversalAuth_InvalidTrustedIp_SaysSoAndCannotBeSubmitted()
    {
        IdentityInfo identity = await CreateIdentityAsync("bad-ip-service");
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);
        page.WaitForElement("#ua-not-configured");

        page.Find("#ua-secret-ips-input").Input("10.0.0.0/8, not-an-ip");

        page.WaitForAssertion(() => Assert.Equal(TrustedIpRange.InvalidMessage, page.FieldError("ua-secret-ips-input")));
        Assert.True(page.Find("#ua-attach").HasAttribute("disabled"));
    }

    [Fact]
    public async Task CreateClientSecret_IsShownOnceWithAWarning_ThenListedByItsPrefix()
    {
        // Arrange
        IdentityInfo identity = await CreateIdentityAsync("secret-service");
        await Identities.AttachUniversalAuthAsync(Core.AdminActor, Id(identity), Defaults, CancellationToken.None);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);

        // Act
        page.WaitForElement("#create-secret").Click();
        dialogs.WaitForElement("#secret-description").Change("ci pipeline");
        dialogs.Find("#secret-ttl").Change("3600");
        dialogs.Find("#secret-uses").Change("5");
        dialogs.Find("#secret-create").Click();

        // Assert: the secret, once, with the warning; it is the one stored (by hash)
        dialogs.WaitForAssertion(() => Assert.Contains("cannot be shown again", dialogs.Find("#secret-warning").TextContent));
        string secret = dialogs.FieldValue("client-secret")!;
        Assert.Matches("^[0-9a-f]{64}$", secret);
        ClientSecret stored = Assert.Single(await Identities.ListClientSecretsAsync(Core.AdminActor, Id(identity), CancellationToken.None));
        Assert.Equal(Secrets.Hash(secret), stored.SecretHash);
        Assert.Equal(("ci pipeline", 3600, 5), (stored.Description, stored.Ttl, stored.NumUsesLimit));
        dialogs.Find("#secret-done").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#client-secret")));
        page.WaitForAssertion(() => Assert.Equal($"{secret[..4]}…", page.Find(".secret-prefix").TextContent.Trim()));
        Assert.Equal("ci pipeline", page.Find(".secret-description").TextContent.Trim());
        Assert.Equal("0 / 5", page.Find(".secret-uses").TextContent.Trim());
        Assert.Equal("Active", page.Find(".secret-status").TextContent.Trim());
        Assert.DoesNotContain(secret, page.Markup + dialogs.Markup);
    }

    [Fact]
    public async Task CreateClientSecret_OnceTheSecretIsShown_OutsideClicksNoLongerCloseTheDialogButEscapeStillDoes()
    {
        IdentityInfo identity = await CreateIdentityAsync("escape-service");
        await Identities.AttachUniversalAuthAsync(Core.AdminActor, Id(identity), Defaults, CancellationToken.None);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);
        page.WaitForElement("#create-secret").Click();
        dialogs.WaitForElement("#secret-description");
        Assert.Null(dialogs.FindComponent<MudDialogContainer>().Instance.GetState(x => x.Options).CloseOnEscapeKey);   // the providers' default: it closes

        dialogs.Find("#secret-create").Click();

        dialogs.WaitForElement("#client-secret");
        DialogOptions shown = dialogs.FindComponent<MudDialogContainer>().Instance.GetState(x => x.Options);
        Assert.Equal((null, false), (shown.CloseOnEscapeKey, shown.BackdropClick));
    }

    [Fact]
    public async Task RevokeClientSecret_AfterConfirmation_ShowsItRevoked()
    {
        IdentityInfo identity = await CreateIdentityAsync("revoke-service");
        await Identities.AttachUniversalAuthAsync(Core.AdminActor, Id(identity), Defaults, CancellationToken.None);
        CreatedClientSecret created = await Identities.CreateClientSecretAsync(Core.AdminActor, Id(identity), new CreateClientSecretRequest("old", 0, 0), CancellationToken.None);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);
        Assert.Equal(("never", "0 / unlimited"), (page.WaitForElement(".secret-expires").TextContent.Trim(), page.Find(".secret-uses").TextContent.Trim()));

        page.Find(".revoke-secret").Click();
        dialogs.WaitForElement("#confirm-button").Click();

        snackbars.AssertSnackbar($"Client secret {created.Data.Prefix}… revoked");
        page.WaitForAssertion(() => Assert.Equal("Revoked", page.Find(".secret-status").TextContent.Trim()));
        Assert.Empty(page.FindAll(".revoke-secret"));
        Assert.True(Assert.Single(await Identities.ListClientSecretsAsync(Core.AdminActor, Id(identity), CancellationToken.None)).IsRevoked);
    }

    [Fact]
    public async Task AddToProject_WithRole_ListsTheProjectAndStoresTheMembership()
    {
        // Arrange
        IdentityInfo identity = await CreateIdentityAsync("project-service");
        Project project = await Core.CreateProjectAsync($"Target {Guid.NewGuid():N}"[..15]);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<IdentityDetailsPage> page = await RenderPageAsync(identity);
        page.WaitForElement("#no-projects");

        // Act
        page.Find("#add-to-project").Click();
        dialogs.WaitForElement("#target-project");
        dialogs.OpenSelect("target-project");
        popovers.ChooseOption(project.Name);
        dialogs.OpenSelect("target-role");
        popovers.ChooseOption("cryptographic-operator");
        dialogs.Find("#target-add").Click();

        // Assert
        snackbars.AssertSnackbar("Added project-service as cryptographic-operator");
        page.WaitForAssertion(() => Assert.Equal(project.Name, page.Find(".project-name").TextContent.Trim()));
        Assert.Equal("cryptographic-operator", page.Find(".project-role").TextContent.Trim());
        MembershipInfo stored = Assert.Single(await Core.Services.GetRequiredService<MembershipService>()
            .ListIdentitiesAsync(Core.AdminActor, project.Id.ToString(), CancellationToken.None));
        Assert.Equal((identity.Identity.Id, ProjectRole.CryptographicOperator), (stored.MemberId, stored.Role));
    }

    [Fact]
    public async Task OrganizationMember_IsTurnedAway()
    {
        IdentityInfo identity = await CreateIdentityAsync("private-service");
        SignIn(await Core.CreateUserAsync($"member-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<IdentityDetailsPage> page = Render<IdentityDetailsPage>(p => p.Add(x => x.IdentityId, identity.Identity.Id));

        page.WaitForAssertion(() => Assert.Equal("Access restricted: only organization admins manage machine identities.",
            page.Find("#identity-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll("#universal-auth"));
    }

    private static string Id(IdentityInfo identity) => identity.Identity.Id.ToString();

    private Task<IdentityInfo> CreateIdentityAsync(string name) =>
        Identities.CreateAsync(Core.AdminActor, new CreateIdentityRequest(name, Core.Organization.Id.ToString(), OrgRole.Member), CancellationToken.None);

    private async Task<IRenderedComponent<IdentityDetailsPage>> RenderPageAsync(IdentityInfo identity)
    {
        IRenderedComponent<IdentityDetailsPage> page = Render<IdentityDetailsPage>(p => p.Add(x => x.IdentityId, identity.Identity.Id));
        await page.WaitForElementAsync("#identity-title");
        return page;
    }
}
