using System.Security.Cryptography;
using System.Text.Json;
using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>The Import Keys dialog (spec §7.15): per-key results, and the request-level messages with nothing imported.</summary>
public sealed class ImportKeysDialogTests : LifecycleBunitContext
{
    [Fact]
    public async Task Import_PastedJson_ListsAResultPerKeyAndImportsTheGoodOnesAsync()
    {
        byte[] aes = RandomNumberGenerator.GetBytes(32);
        string json = JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { name = "pasted-aes", algorithm = "aes-256-gcm", keyMaterial = Convert.ToBase64String(aes), isExportable = true },
                new { name = "pasted-short", algorithm = "aes-128-gcm", keyMaterial = Convert.ToBase64String(new byte[8]) },
                new { name = "pasted-mac", keyUsage = "generate-verify-mac", algorithm = "HMAC_SHA_1", keyMaterial = Convert.ToBase64String(new byte[20]) },
            },
        });
        (IRenderedComponent<MudDialogProvider> dialog, IDialogReference reference) = await OpenAsync();

        dialog.Find("#import-json").Change(json);
        dialog.Find("#import-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal(3, dialog.FindAll("#import-results .mud-list-item").Count), Patience);
        string[] lines = dialog.FindAll("#import-results .mud-list-item").Select(item => item.TextContent.Trim()).ToArray();
        Assert.Equal(
            [
                "pasted-aes: imported",
                "pasted-short: Invalid key material length for aes-128-gcm. Expected 16 bytes, got 8.",
                "pasted-mac: imported",
            ],
            lines);
        Assert.Empty(dialog.FindAll("#import-invalid"));

        KeyPage page = await Keys.ListAsync(Admin, new ListKeysRequest(ProjectId, 0, 100, false, null), CancellationToken.None);
        Assert.Equal(["pasted-aes", "pasted-mac"], page.Keys.Select(k => k.Name));
        KmsKey imported = page.Keys[0];
        Assert.Equal((1, false, true), (imported.Version, imported.IsDisabled, imported.IsExportable));
        Assert.Equal(aes, await Lifecycle.ExportAsync(Admin, imported.Id, CancellationToken.None));

        // Close reports how many keys were imported, so the page knows to reload.
        dialog.FindAll("button").Single(b => b.TextContent.Trim() == "Close").Click();
        DialogResult? result = await reference.Result;
        Assert.Equal(2, result!.Data);
    }

    [Fact]
    public async Task Import_BareArray_IsAcceptedAsync()
    {
        (IRenderedComponent<MudDialogProvider> dialog, _) = await OpenAsync();

        dialog.Find("#import-json").Change($$"""[ { "name": "bare", "algorithm": "aes-128-gcm", "keyMaterial": "{{Convert.ToBase64String(new byte[16])}}" } ]""");
        dialog.Find("#import-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal("bare: imported", dialog.Find("#import-results .mud-list-item").TextContent.Trim()), Patience);
    }

    [Fact]
    public async Task Import_InvalidRequest_ShowsTheRequestLevelMessagesAndImportsNothingAsync()
    {
        string json = """
            { "keys": [
                { "name": "fine", "algorithm": "aes-128-gcm", "keyMaterial": "AAAAAAAAAAAAAAAAAAAAAA==" },
                { "name": "bad-material", "algorithm": "aes-256-gcm", "keyMaterial": "not base64" },
                { "name": "no-algorithm", "keyMaterial": "AA==" },
                { "name": "mismatch", "keyUsage": "sign-verify", "algorithm": "HMAC_SHA_256", "keyMaterial": "AA==" }
            ] }
            """;
        (IRenderedComponent<MudDialogProvider> dialog, _) = await OpenAsync();

        dialog.Find("#import-json").Change(json);
        dialog.Find("#import-submit").Click();

        dialog.WaitForAssertion(() => Assert.NotEmpty(dialog.FindAll("#import-invalid li")), Patience);
        Assert.Equal(
            [
                "keys[1].keyMaterial: keyMaterial must be base64 encoded",
                "keys[2].algorithm: algorithm is required",
                "keys[3].algorithm: algorithm must be an asymmetric algorithm for sign-verify keys",
            ],
            dialog.FindAll("#import-invalid li").Select(li => li.TextContent.Trim()));
        Assert.Contains("Nothing was imported", dialog.Find("#import-invalid").TextContent, StringComparison.Ordinal);
        Assert.Empty(dialog.FindAll("#import-results"));
        Assert.Equal(0, (await Keys.ListAsync(Admin, new ListKeysRequest(ProjectId, 0, 100, false, null), CancellationToken.None)).TotalCount);
    }

    [Theory]
    [InlineData("{ not json", "The text is not valid JSON.")]
    [InlineData("\"a string\"", "Expected an object with a \"keys\" array.")]
    [InlineData("{ \"keys\": [] }", "keys: Array must contain at least 1 element(s)")]
    public async Task Import_TextThatIsNoRequest_IsRefusedAsync(string text, string message)
    {
        (IRenderedComponent<MudDialogProvider> dialog, _) = await OpenAsync();

        dialog.Find("#import-json").Change(text);
        dialog.Find("#import-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal([message], dialog.FindAll("#import-invalid li").Select(li => li.TextContent.Trim())), Patience);
        Assert.Equal(0, (await Keys.ListAsync(Admin, new ListKeysRequest(ProjectId, 0, 100, false, null), CancellationToken.None)).TotalCount);
    }

    [Fact]
    public async Task Import_SubmitButton_IsDisabledUntilTextIsPastedAsync()
    {
        (IRenderedComponent<MudDialogProvider> dialog, _) = await OpenAsync();

        Assert.True(dialog.Find("#import-submit").HasAttribute("disabled"));
        dialog.Find("#import-json").Change("[]");
        Assert.False(dialog.Find("#import-submit").HasAttribute("disabled"));
    }

    private Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Reference)> OpenAsync() =>
        ShowDialogAsync<ImportKeysDialog>("Import Keys", new DialogParameters { { "ProjectId", ProjectId } });
}
