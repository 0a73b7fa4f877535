using System.Net;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace InfisicalKms.Tests.Web.Account;

/// <summary>The first-run setup page (static SSR): once it has set the instance up, the one-time token comes with a copy button.</summary>
public sealed partial class SetupPageTests : IDisposable
{
    private readonly KmsWebApplicationFactory _server = new();

    [Fact]
    public async Task SetUp_ShowsTheTokenOnceWithACopyButtonThatNamesIt()
    {
        HttpClient browser = _server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        string form = await browser.GetStringAsync("/Account/Setup");
        List<KeyValuePair<string, string>> fields = HiddenInput().Matches(form)
            .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .ToList();
        fields.AddRange([
            new("Input.Organization", "Example Corp"), new("Input.Email", "admin@example.com"),
            new("Input.Password", "correct horse battery"), new("Input.ConfirmPassword", "correct horse battery"),
        ]);

        HttpResponseMessage response = await browser.PostAsync("/Account/Setup", new FormUrlEncodedContent(fields));
        string html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("<pre id=\"admin-token\" class=\"secret\">\\S{20,}</pre>", html);
        // app.js copies the element data-copy names and reports into the live region data-copy-status names.
        Match button = CopyButton().Match(html);
        Assert.True(button.Success, "no copy button for the token");
        Assert.Equal(("admin-token", "Copy token"), (button.Groups["target"].Value, button.Groups["label"].Value));
        Assert.Matches($"<span id=\"{button.Groups["status"].Value}\" role=\"status\" aria-live=\"polite\">", html);
    }

    public void Dispose() => _server.Dispose();

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("""<button type="button" id="copy-admin-token" class="[^"]*" data-copy="(?<target>[^"]+)" data-copy-status="(?<status>[^"]+)">(?<label>[^<]+)</button>""")]
    private static partial Regex CopyButton();
}
