using System.Text;
using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

public sealed class EncryptDialogTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private const string InvalidBase64 = "The data is not valid base64 (standard alphabet, with = padding).";

    [Fact]
    public async Task Encrypt_SwitchOff_EncryptsTheUtf8Text()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        Assert.Equal($"Key: {key.Name} (aes-256-gcm)", dialogs.Find("#panel-key").TextContent.Trim());
        Assert.False(dialogs.Find("#encrypt-base64").IsChecked());
        const string text = "héllo wörld ✓ aGVsbG8=";

        dialogs.Find("#encrypt-data").Input(text);
        dialogs.Find("#encrypt-submit").Click();

        dialogs.WaitForElement("#encrypt-result");
        Assert.Equal(Encoding.UTF8.GetBytes(text), await DecryptAsync(key, dialogs.FieldValue("encrypt-result")));
    }

    [Fact]
    public async Task Encrypt_InputChangedAfterEncrypting_DropsTheStaleCiphertext()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.Find("#encrypt-data").Input("first");
        dialogs.Find("#encrypt-submit").Click();
        dialogs.WaitForElement("#encrypt-result");

        dialogs.Find("#encrypt-data").Input("second");

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#encrypt-result")));
    }

    [Fact]
    public async Task Encrypt_SwitchOn_DecodesTheBase64First()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        byte[] bytes = [0x00, 0xff, 0xfe, 0x80, 0x41];

        dialogs.Find("#encrypt-data").Input(Convert.ToBase64String(bytes));
        dialogs.SetSwitch("encrypt-base64", true);
        dialogs.Find("#encrypt-submit").Click();

        dialogs.WaitForElement("#encrypt-result");
        Assert.Equal(bytes, await DecryptAsync(key, dialogs.FieldValue("encrypt-result")));
    }

    [Fact]
    public async Task Encrypt_SwitchOnInvalidBase64_ShowsErrorAndSendsNothing()
    {
        // A disabled key: whatever reaches the service comes back as an error alert.
        KmsKey key = await Core.CreateKeyAsync(Core.Project, "encrypt-disabled", KeyAlgorithm.Aes256Gcm);
        await Core.Keys.UpdateAsync(Core.AdminActor, key.Id, new UpdateKeyRequest(null, null, true), CancellationToken.None);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.SetSwitch("encrypt-base64", true);

        dialogs.Find("#encrypt-data").Input("not base64!");
        dialogs.Find("#encrypt-submit").Click();

        Assert.Equal(InvalidBase64, dialogs.FieldError("encrypt-data"));
        Assert.Empty(dialogs.FindAll("#encrypt-result"));
        Assert.Empty(dialogs.FindAll("#encrypt-error"));   // the service was never called

        // The same click with valid base64 does reach the service (and its refusal shows).
        dialogs.Find("#encrypt-data").Input("aGVsbG8=");
        dialogs.Find("#encrypt-submit").Click();
        dialogs.WaitForAssertion(() => Assert.Equal("Key is disabled", dialogs.Find("#encrypt-error").TextContent.Trim()));
        Assert.Null(dialogs.FieldError("encrypt-data"));
        Assert.Empty(dialogs.FindAll("#encrypt-result"));
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(KmsKey key) =>
        (await ShowAsync(new DialogParameters<EncryptDialog> { { d => d.Key, key } })).Dialogs;

    private async Task<byte[]> DecryptAsync(KmsKey key, string? ciphertext)
    {
        Assert.False(string.IsNullOrEmpty(ciphertext));
        DecryptResult result = await Core.Crypto.DecryptAsync(Core.AdminActor, key.Id, Convert.FromBase64String(ciphertext), null, CancellationToken.None);
        return result.Plaintext;
    }
}
