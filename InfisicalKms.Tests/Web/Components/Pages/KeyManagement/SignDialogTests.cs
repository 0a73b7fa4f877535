using System.Text;
using Bunit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

/// <summary>One RSA-4096 key for the whole class (it takes seconds to make); ECC_NIST_P256 everywhere else.</summary>
public sealed class SignDialogTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Algorithms_RsaKey_ListsTheRsaAlgorithmsWithPss512ByDefault()
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(await Core.SharedKeyAsync(KeyAlgorithm.Rsa4096));

        Assert.Equal("RSASSA_PSS_SHA_512", dialogs.SelectedText("sign-algorithm"));
        dialogs.OpenSelect("sign-algorithm");
        Assert.Equal(
            ["RSASSA_PSS_SHA_512", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_256",
             "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_256"],
            popovers.OpenOptions());
    }

    [Fact]
    public async Task Algorithms_EccKey_ListsTheEcdsaAlgorithmsWithSha256ByDefault()
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256));

        Assert.Equal("ECDSA_SHA_256", dialogs.SelectedText("sign-algorithm"));
        dialogs.OpenSelect("sign-algorithm");
        Assert.Equal(["ECDSA_SHA_512", "ECDSA_SHA_384", "ECDSA_SHA_256"], popovers.OpenOptions());
    }

    [Fact]
    public async Task Sign_SwitchOff_SignsTheUtf8Text()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        Assert.False(dialogs.Find("#sign-base64").IsChecked());

        dialogs.Find("#sign-data").Input("sign me ✓");
        dialogs.Find("#sign-submit").Click();

        dialogs.WaitForElement("#sign-result");
        byte[] signature = Convert.FromBase64String(dialogs.FieldValue("sign-result")!);
        Assert.True(await VerifyAsync(key, SigningAlgorithm.EcdsaSha256, Encoding.UTF8.GetBytes("sign me ✓"), signature));
    }

    [Fact]
    public async Task Sign_SwitchOn_SignsTheDecodedBytes()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        byte[] bytes = [0x00, 0x01, 0xfe, 0xff];
        string base64 = Convert.ToBase64String(bytes);

        dialogs.Find("#sign-data").Input(base64);
        dialogs.SetSwitch("sign-base64", true);
        dialogs.Find("#sign-submit").Click();

        dialogs.WaitForElement("#sign-result");
        byte[] signature = Convert.FromBase64String(dialogs.FieldValue("sign-result")!);
        Assert.True(await VerifyAsync(key, SigningAlgorithm.EcdsaSha256, bytes, signature));
        Assert.False(await VerifyAsync(key, SigningAlgorithm.EcdsaSha256, Encoding.UTF8.GetBytes(base64), signature));
    }

    [Fact]
    public async Task Sign_RsaKeyDefaultAlgorithm_SignatureVerifiesWithPss512()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Rsa4096);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);

        dialogs.Find("#sign-data").Input("rsa default");
        dialogs.Find("#sign-submit").Click();

        dialogs.WaitForElement("#sign-result");
        byte[] signature = Convert.FromBase64String(dialogs.FieldValue("sign-result")!);
        Assert.Equal(512, signature.Length);
        Assert.True(await VerifyAsync(key, SigningAlgorithm.RsassaPssSha512, "rsa default"u8.ToArray(), signature));
    }

    [Fact]
    public async Task Sign_RsaKeyChosenAlgorithm_SignsWithThatAlgorithm()
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.Rsa4096);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.OpenSelect("sign-algorithm");
        popovers.ChooseOption("RSASSA_PKCS1_V1_5_SHA_256");

        dialogs.Find("#sign-data").Input("rsa pkcs1");
        dialogs.Find("#sign-submit").Click();

        dialogs.WaitForElement("#sign-result");
        byte[] signature = Convert.FromBase64String(dialogs.FieldValue("sign-result")!);
        Assert.True(await VerifyAsync(key, SigningAlgorithm.RsassaPkcs1V15Sha256, "rsa pkcs1"u8.ToArray(), signature));
        Assert.False(await VerifyAsync(key, SigningAlgorithm.RsassaPssSha512, "rsa pkcs1"u8.ToArray(), signature));
    }

    [Fact]
    public async Task Sign_SwitchOnInvalidBase64_IsBlockedBeforeSending()
    {
        KmsKey key = await Core.SharedKeyAsync(KeyAlgorithm.EccNistP256);
        IRenderedComponent<MudDialogProvider> dialogs = await OpenAsync(key);
        dialogs.SetSwitch("sign-base64", true);

        dialogs.Find("#sign-data").Input("not base64!");
        dialogs.Find("#sign-submit").Click();

        Assert.Equal("The data is not valid base64 (standard alphabet, with = padding).", dialogs.FieldError("sign-data"));
        Assert.Empty(dialogs.FindAll("#sign-result"));
        Assert.Empty(dialogs.FindAll("#sign-error"));
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(KmsKey key) =>
        (await ShowAsync(new DialogParameters<SignDialog> { { d => d.Key, key } })).Dialogs;

    private Task<bool> VerifyAsync(KmsKey key, SigningAlgorithm algorithm, byte[] data, byte[] signature) =>
        Core.Crypto.VerifyAsync(Core.AdminActor, key.Id, new VerifyRequest(algorithm, data, signature, false), CancellationToken.None);
}
