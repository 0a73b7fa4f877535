using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Storage;
using InfisicalKms.Web.Components.Account;
using InfisicalKms.Web.Components.Shared;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;

namespace InfisicalKms.Web;

public static class AccountServiceCollectionExtensions
{
    /// <summary>ASP.NET Core Identity for people (cookies, lockout, authenticator-app 2FA) over the KMS database.</summary>
    /// <remarks>The HTTP API authenticates machine identities with bearer tokens only; cookies never reach it.</remarks>
    public static IHostApplicationBuilder AddKmsAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<IdentityRedirectManager>();
        builder.Services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        builder.Services.AddAuthorization();

        // Identity's stores want a scoped context; the factory registered by AddKmsCore makes it.
        builder.Services.AddScoped(sp => sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<KmsDbContext>>().CreateDbContext());
        builder.Services.AddIdentityCore<KmsUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 12;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireDigit = false;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<KmsDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        // Sign-in cookies and antiforgery tokens outlive restarts and cross instances: the Data Protection key
        // ring lives in the database every instance shares, each key encrypted under the root key.
        builder.Services.AddDataProtection().SetApplicationName("InfisicalKms").PersistKeysToDbContext<KmsDbContext>();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<EnvelopeEncryptor>((options, envelope) =>
            options.XmlEncryptor = new RootKeyXmlEncryptor(envelope));

        // Scoped: one per circuit, over that circuit's authentication state.
        builder.Services.AddHttpContextAccessor();   // a fallback audit origin when a page did not hand one over
        builder.Services.AddScoped<UserSession>();
        return builder;
    }
}
