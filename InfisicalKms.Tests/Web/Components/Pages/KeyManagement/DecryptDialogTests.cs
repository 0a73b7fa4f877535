using System.Text;
using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

public sealed class DecryptDialogTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task DecodeBase64_FlippedAfterDecrypting_SwitchesTheViewWithoutANewDecryption()
    {
        // Arrange
        KmsKey key = await Core.CreateKeyAsync(Core.Project, "decrypt-flip", KeyAlgorithm.Aes256Gcm);
        string ciphertext = await EncryptAsync(key, Encoding.UTF8.GetBytes("hello, wörld"));
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        string base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes("hello, wörld"));

        // Act
        dialogs.Find("#decrypt-data").Input(ciphertext);
        dialogs.Find("#decrypt-submit").Click();

        // Assert: base64 first, with the switch off
        dialogs.WaitForElement("#decrypt-result");
        Assert.Equal(base64, dialogs.FieldValue("decrypt-result"));
        Assert.False(dialogs.Find("#decrypt-decode").IsChecked());

        // Disable the key: a second decryption would now fail, so the flips below prove none happens.
        await Core.Keys.UpdateAsync(Core.AdminActor, key.Id, new UpdateKeyRequest(null, null, true), CancellationToken.None);
        dialogs.SetSwitch("decrypt-decode", true);
        dialogs.WaitForAssertion(() => Assert.Equal("hello, wörld", dialogs.FieldValue("decrypt-result")));
        Assert.Empty(dialogs.FindAll("#decrypt-not-utf8"));
        dialogs.SetSwitch("decrypt-decode", false);
        dialogs.WaitForAssertion(() => Assert.Equal(base64, dialogs.FieldValue("decrypt-result")));
        Assert.Empty(dialogs.FindAll("#decrypt-error"));
    }

    [Fact]
    public async Task DecodeBase64_NonUtf8Plaintext_StaysBase64WithANote()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        string ciphertext = await EncryptAsync(key, [0xff, 0xfe]);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.Find("#decrypt-data").Input(ciphertext);
        dialogs.Find("#decrypt-submit").Click();
        dialogs.WaitForElement("#decrypt-result");

        dialogs.SetSwitch("decrypt-decode", true);

        dialogs.WaitForElement("#decrypt-not-utf8");
        Assert.Equal("//4=", dialogs.FieldValue("decrypt-result"));
        Assert.Equal("The plaintext is not valid UTF-8 text, so it is shown as base64.", dialogs.Find("#decrypt-not-utf8").TextContent.Trim());
    }

    [Fact]
    public async Task Decrypt_TamperedCiphertext_ShowsDecryptionFailed()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        byte[] blob = Convert.FromBase64String(await EncryptAsync(key, "secret"u8.ToArray()));
        blob[14] ^= 0x01;   // a ciphertext byte, after the 12-byte nonce
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);

        dialogs.Find("#decrypt-data").Input(Convert.ToBase64String(blob));
        dialogs.Find("#decrypt-submit").Click();

        dialogs.WaitForAssertion(() => Assert.Equal(
            "Decryption failed: the ciphertext is invalid or was not produced by this key",
            dialogs.Find("#decrypt-error").TextContent.Trim()));
        Assert.Empty(dialogs.FindAll("#decrypt-result"));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("aGVsbG8")]    // missing padding
    [InlineData("aGVs bG8=")]  // whitespace inside
    public async Task Decrypt_InvalidBase64_IsBlockedBeforeSending(string input)
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);

        dialogs.Find("#decrypt-data").Input(input);
        dialogs.Find("#decrypt-submit").Click();

        Assert.Equal("The data is not valid base64 (standard alphabet, with = padding).", dialogs.FieldError("decrypt-data"));
        Assert.Empty(dialogs.FindAll("#decrypt-result"));
        Assert.Empty(dialogs.FindAll("#decrypt-error"));   // a call would have failed decryption and shown this
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(KmsKey key) =>
        (await ShowAsync(new DialogParameters<DecryptDialog> { { d => d.Key, key } })).Dialogs;

    private async Task<string> EncryptAsync(KmsKey key, byte[] plaintext)
    {
        EncryptResult result = await Core.Crypto.EncryptAsync(Core.AdminActor, key.Id, plaintext, null, CancellationToken.None);
        return Convert.ToBase64String(result.Ciphertext);
    }
}
