using System.Net;
using System.Text.RegularExpressions;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Account;

/// <summary>
/// Signed-in users over real HTTP (static SSR forms, antiforgery, cookies): an invited user is sent from every
/// page to the change-password page until they have replaced the one-time password, and a removed user is
/// signed out at the next page.
/// </summary>
public sealed partial class AccountGateTests : IDisposable
{
    private const string ChangePasswordPath = "/Account/Manage/ChangePassword";
    private const string NewPassword = "my own password 2026";

    private readonly KmsWebApplicationFactory _server = new();

    [Fact]
    public async Task SignIn_WithOneTimePassword_EveryPageRedirectsToChangePasswordUntilItIsChanged()
    {
        // Arrange
        InvitedUser invited = await InviteAsync("invited@example.com");
        HttpClient browser = _server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        // Act and assert: sign-in lands on the change-password page, and so does every other page
        HttpResponseMessage signIn = await PostFormAsync(browser, "/Account/Login?ReturnUrl=%2Fprojects",
            ("Input.Email", "invited@example.com"), ("Input.Password", invited.OneTimePassword));
        Assert.Equal(ChangePasswordPath, RedirectPath(signIn));
        foreach (string page in new[] { "/projects", "/settings", "/", "/Account/Manage", "/Account/Manage/TwoFactorAuthentication" })
        {
            HttpResponseMessage response = await browser.GetAsync(page);
            Assert.True(RedirectPath(response) == ChangePasswordPath, $"{page} answered {(int)response.StatusCode} {response.Headers.Location}");
        }

        string form = await browser.GetStringAsync(ChangePasswordPath);
        Assert.Contains("You signed in with a one-time password", form);

        // Act and assert: a wrong old password changes nothing
        await PostFormAsync(browser, ChangePasswordPath,
            ("Input.OldPassword", "not the one-time password"), ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword));
        Assert.Equal(ChangePasswordPath, RedirectPath(await browser.GetAsync("/projects")));

        // Act and assert: once changed, the app opens and the flag is gone
        HttpResponseMessage changed = await PostFormAsync(browser, ChangePasswordPath,
            ("Input.OldPassword", invited.OneTimePassword), ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword));
        Assert.Equal(ChangePasswordPath, RedirectPath(changed));
        Assert.DoesNotContain("You signed in with a one-time password", await browser.GetStringAsync(ChangePasswordPath));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/projects")).StatusCode);
        Assert.False(await MustChangePasswordAsync(invited.User.Id));
    }

    [Fact]
    public async Task SignIn_UserWithoutTheFlag_GoesWhereTheyWereHeading()
    {
        await InviteAsync("someone@example.com");   // another user's flag changes nothing for the admin
        HttpClient browser = _server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        HttpResponseMessage signIn = await PostFormAsync(browser, "/Account/Login?ReturnUrl=%2Fsettings",
            ("Input.Email", CoreTestHost.AdminEmail), ("Input.Password", "correct horse battery"));

        Assert.Equal("/settings", RedirectPath(signIn));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/settings")).StatusCode);
    }

    [Fact]
    public async Task RemovedUser_NextPageSignsThemOut()
    {
        // Arrange: the invited user has set their own password and works in the app
        InvitedUser invited = await InviteAsync("leaver@example.com");
        HttpClient browser = _server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await PostFormAsync(browser, "/Account/Login", ("Input.Email", "leaver@example.com"), ("Input.Password", invited.OneTimePassword));
        await PostFormAsync(browser, ChangePasswordPath,
            ("Input.OldPassword", invited.OneTimePassword), ("Input.NewPassword", NewPassword), ("Input.ConfirmPassword", NewPassword));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/projects")).StatusCode);

        // Act
        await _server.Services.GetRequiredService<OrganizationMemberService>().RemoveAsync(await AdminActorAsync(), invited.User.Id, CancellationToken.None);

        // Assert: sent to sign-in, and the cookie is gone (sign-in does not bounce back into the app)
        Assert.Equal("/Account/Login", RedirectPath(await browser.GetAsync("/projects")));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/Account/Login")).StatusCode);
        Assert.Equal("/Account/Login", RedirectPath(await browser.GetAsync("/settings")));
    }

    public void Dispose() => _server.Dispose();

    private async Task<InvitedUser> InviteAsync(string email) =>
        await _server.Services.GetRequiredService<OrganizationMemberService>().InviteAsync(await AdminActorAsync(), email, OrgRole.Member, CancellationToken.None);

    private async Task<Actor> AdminActorAsync()
    {
        await _server.AdminAsync();   // bootstraps admin@example.com
        await using KmsDbContext db = await _server.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return Actor.ForUser(await db.Users.AsNoTracking().SingleAsync(u => u.Email == CoreTestHost.AdminEmail));
    }

    private async Task<bool?> MustChangePasswordAsync(Guid userId) =>
        await _server.Services.GetRequiredService<OrganizationMemberService>().MustChangePasswordAsync(userId, CancellationToken.None);

    /// <summary>Loads the form page, then posts its one form with its hidden fields (handler, antiforgery token) and these values.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string url, params (string Name, string Value)[] fields)
    {
        string html = await browser.GetStringAsync(url);
        List<KeyValuePair<string, string>> form = HiddenInput().Matches(html)
            .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .ToList();
        form.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return await browser.PostAsync(url, new FormUrlEncodedContent(form));
    }

    private static string? RedirectPath(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther
            ? new Uri(new Uri("http://localhost"), response.Headers.Location!).AbsolutePath
            : null;

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();
}
