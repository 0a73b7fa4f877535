using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>The Add Key dialog's Generate/Verify MAC usage: choosing it resets the algorithm to HMAC_SHA_256 (spec §5.3).</summary>
public sealed class KeyDialogMacUsageTests : LifecycleBunitContext
{
    [Fact]
    public async Task MacUsage_AfterAnotherUsage_ResetsTheAlgorithmToHmacSha256AndCreatesAMacKeyAsync()
    {
        (IRenderedComponent<MudDialogProvider> dialog, IDialogReference reference) = await OpenAsync();
        Assert.Equal("Aes256Gcm", dialog.Find("#key-algorithm").GetAttribute("value"));

        dialog.Find("#usage-sign").Click();
        dialog.WaitForAssertion(() => Assert.Equal("Rsa4096", dialog.Find("#key-algorithm").GetAttribute("value")), Patience);
        dialog.Find("#usage-mac").Click();

        dialog.WaitForAssertion(() => Assert.Equal("HmacSha256", dialog.Find("#key-algorithm").GetAttribute("value")), Patience);
        Assert.Contains("HMAC_SHA_256", dialog.Find("[role=combobox]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Secret HMAC key to authenticate data and check MACs; MACs stay valid after rotation.", dialog.Find("#usage-explanation").TextContent.Trim());

        dialog.Find("#key-name").Input("new-mac");
        dialog.Find("#key-save").Click();

        DialogResult? result = await reference.Result.WaitAsync(TimeSpan.FromSeconds(30));
        KmsKey created = Assert.IsType<KmsKey>(result!.Data);
        Assert.Equal((KeyUsage.GenerateVerifyMac, KeyAlgorithm.HmacSha256, 1), (created.Usage, created.Algorithm, created.Version));
        KmsKey stored = await Keys.GetByNameAsync(Admin, "new-mac", ProjectId, CancellationToken.None);
        Assert.Equal(KeyAlgorithm.HmacSha256, stored.Algorithm);
    }

    [Fact]
    public async Task MacUsage_FromTheDefault_OffersOnlyHmacAlgorithmsAsync()
    {
        (IRenderedComponent<MudDialogProvider> dialog, _) = await OpenAsync();

        dialog.Find("#usage-mac").Click();

        dialog.WaitForAssertion(() => Assert.Equal("HmacSha256", dialog.Find("#key-algorithm").GetAttribute("value")), Patience);
        Assert.Equal(
            [KeyAlgorithm.HmacSha1, KeyAlgorithm.HmacSha224, KeyAlgorithm.HmacSha256, KeyAlgorithm.HmacSha384, KeyAlgorithm.HmacSha512],
            KeyDialog.AlgorithmsFor(KeyUsage.GenerateVerifyMac));

        // And back: encrypt/decrypt resets to its own default.
        dialog.Find("#usage-encrypt").Click();
        dialog.WaitForAssertion(() => Assert.Equal("Aes256Gcm", dialog.Find("#key-algorithm").GetAttribute("value")), Patience);
    }

    private Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Reference)> OpenAsync() =>
        ShowDialogAsync<KeyDialog>("Add Key", new DialogParameters { { "ProjectId", ProjectId } });
}
