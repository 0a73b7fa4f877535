using Bunit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

public sealed class VerifyDialogTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private const string ValidExplanation = "The signature was made by this key over exactly this data.";
    private const string InvalidExplanation = "The signature was not made by this key over this data, or the data or signature was changed.";

    [Fact]
    public async Task Verify_CorrectSignature_ShowsGreenValidWithWhatWasChecked()
    {
        // Arrange
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        string signature = await SignAsync(key, "hello, world"u8.ToArray());
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        Assert.False(dialogs.Find("#verify-base64").IsChecked());

        // Act
        dialogs.Find("#verify-data").Input("hello, world");
        dialogs.Find("#verify-signature").Input(signature);
        dialogs.Find("#verify-submit").Click();

        // Assert
        dialogs.WaitForElement("#verify-result");
        Assert.Equal("Valid", dialogs.Find("#verify-status").TextContent.Trim());
        Assert.Contains("mud-chip-color-success", dialogs.Find("#verify-status").ClassName);
        Assert.Equal(ValidExplanation, dialogs.Find("#verify-explanation").TextContent.Trim());
        Assert.Contains("Signing Algorithm: ECDSA_SHA_256", dialogs.Find("#verify-result").TextContent);
        Assert.Equal(["hello, world", signature], CheckedValues(dialogs));
    }

    [Fact]
    public async Task Verify_OneDataCharacterChanged_ShowsRedInvalid()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        string signature = await SignAsync(key, "hello, world"u8.ToArray());
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);

        dialogs.Find("#verify-data").Input("hello, World");
        dialogs.Find("#verify-signature").Input(signature);
        dialogs.Find("#verify-submit").Click();

        dialogs.WaitForElement("#verify-result");
        Assert.Equal("Invalid", dialogs.Find("#verify-status").TextContent.Trim());
        Assert.Contains("mud-chip-color-error", dialogs.Find("#verify-status").ClassName);
        Assert.Equal(InvalidExplanation, dialogs.Find("#verify-explanation").TextContent.Trim());
        Assert.Equal(["hello, World", signature], CheckedValues(dialogs));
    }

    [Fact]
    public async Task Verify_Base64Switch_DecodesTheDataOnlyWhenOn()
    {
        // Arrange: a signature over raw bytes, entered as base64
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        byte[] bytes = [0x00, 0xff, 0x10];
        string signature = await SignAsync(key, bytes);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.Find("#verify-data").Input(Convert.ToBase64String(bytes));
        dialogs.Find("#verify-signature").Input(signature);

        // Act and assert: on, the decoded bytes are checked
        dialogs.SetSwitch("verify-base64", true);
        dialogs.Find("#verify-submit").Click();
        dialogs.WaitForElement("#verify-result");
        Assert.Equal("Valid", dialogs.Find("#verify-status").TextContent.Trim());

        // Act and assert: off, the base64 text itself is checked
        dialogs.Find("#verify-again").Click();
        dialogs.WaitForElement("#verify-base64");   // the form comes back on the dialog's next render
        dialogs.SetSwitch("verify-base64", false);
        dialogs.Find("#verify-submit").Click();
        dialogs.WaitForAssertion(() => Assert.Equal("Invalid", dialogs.Find("#verify-status").TextContent.Trim()));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("MEUCIQ-_")]   // URL-safe alphabet
    public async Task Verify_InvalidBase64Signature_IsBlockedBeforeSending(string signature)
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);

        dialogs.Find("#verify-data").Input("hello, world");
        dialogs.Find("#verify-signature").Input(signature);
        dialogs.Find("#verify-submit").Click();

        Assert.Equal("The data is not valid base64 (standard alphabet, with = padding).", dialogs.FieldError("verify-signature"));
        Assert.Null(dialogs.FieldError("verify-data"));
        Assert.Empty(dialogs.FindAll("#verify-result"));
        Assert.Empty(dialogs.FindAll("#verify-error"));
    }

    private static IReadOnlyList<string?> CheckedValues(IRenderedComponent<MudDialogProvider> dialogs) =>
        dialogs.Find("#verify-result").QuerySelectorAll("textarea").Select(t => t.GetAttribute("value")).ToList();

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(KmsKey key) =>
        (await ShowAsync(new DialogParameters<VerifyDialog> { { d => d.Key, key } })).Dialogs;

    private async Task<string> SignAsync(KmsKey key, byte[] data) => Convert.ToBase64String(
        await Core.Crypto.SignAsync(Core.AdminActor, key.Id, new SignRequest(SigningAlgorithm.EcdsaSha256, data, false), CancellationToken.None));
}
