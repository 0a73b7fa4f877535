using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

public sealed class KeyDialogTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private const string EncryptExplanation = "Symmetric key to encrypt data and decrypt it again; the key never leaves InfisicalKms.";
    private const string SignExplanation = "Asymmetric key pair to sign data and verify signatures; the public key can be shared.";
    private const string MacExplanation = "Secret HMAC key to authenticate data and check MACs; MACs stay valid after rotation.";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("My_Key", "Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("my--key", "Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "Name field must be at most 32 lowercase characters")]
    public async Task Name_Invalid_ShowsApiMessageAndDisablesCreate(string name, string message)
    {
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAddAsync();

        dialogs.Find("#key-name").Input(name);

        Assert.Equal(message, dialogs.FieldError("key-name"));
        Assert.True(dialogs.Find("#key-save").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Name_Valid_EnablesCreate()
    {
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAddAsync();
        Assert.True(dialogs.Find("#key-save").HasAttribute("disabled"));   // empty at first

        dialogs.Find("#key-name").Input("abcdefghijklmnopqrstuvwxyz-12345");   // 32 characters

        Assert.Null(dialogs.FieldError("key-name"));
        Assert.False(dialogs.Find("#key-save").HasAttribute("disabled"));
        Assert.Equal("Create", dialogs.Find("#key-save").TextContent.Trim());
    }

    [Fact]
    public async Task Usage_Switched_ResetsAlgorithmAndListsOnlyThatUsagesAlgorithms()
    {
        // Arrange
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAddAsync();
        Assert.Equal("aes-256-gcm", dialogs.SelectedText("key-algorithm"));
        Assert.Equal(EncryptExplanation, dialogs.Find("#usage-explanation").TextContent.Trim());
        dialogs.OpenSelect("key-algorithm");
        Assert.Equal(["aes-256-gcm", "aes-128-gcm"], popovers.OpenOptions());
        popovers.ChooseOption("aes-128-gcm");
        Assert.Equal("aes-128-gcm", dialogs.SelectedText("key-algorithm"));

        // Act: to Sign/Verify
        dialogs.Find("#usage-sign").Click();

        // Assert
        dialogs.WaitForAssertion(() => Assert.Equal("RSA_4096", dialogs.SelectedText("key-algorithm")));
        Assert.Equal(SignExplanation, dialogs.Find("#usage-explanation").TextContent.Trim());
        dialogs.OpenSelect("key-algorithm");
        Assert.Equal(["RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"], popovers.OpenOptions());
        popovers.ChooseOption("ECC_NIST_P384");
        Assert.Equal("ECC_NIST_P384", dialogs.SelectedText("key-algorithm"));

        // Act and assert: to Generate/Verify MAC
        dialogs.Find("#usage-mac").Click();
        dialogs.WaitForAssertion(() => Assert.Equal("HMAC_SHA_256", dialogs.SelectedText("key-algorithm")));
        Assert.Equal(MacExplanation, dialogs.Find("#usage-explanation").TextContent.Trim());
        dialogs.OpenSelect("key-algorithm");
        Assert.Equal(["HMAC_SHA_1", "HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"], popovers.OpenOptions());
        popovers.ChooseOption("HMAC_SHA_512");

        // Act and assert: back to Encrypt/Decrypt resets to the default, not to the earlier choice
        dialogs.Find("#usage-encrypt").Click();
        dialogs.WaitForAssertion(() => Assert.Equal("aes-256-gcm", dialogs.SelectedText("key-algorithm")));
        Assert.Equal(EncryptExplanation, dialogs.Find("#usage-explanation").TextContent.Trim());
        dialogs.OpenSelect("key-algorithm");
        Assert.Equal(["aes-256-gcm", "aes-128-gcm"], popovers.OpenOptions());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_ExportSwitch_IsStoredOnTheKey(bool exportable)
    {
        // Arrange
        (IRenderedComponent<MudDialogProvider> dialogs, IDialogReference dialog) = await ShowAddAsync();
        Assert.False(dialogs.Find("#key-exportable").IsChecked());   // off by default
        string name = exportable ? "exportable" : "not-exportable";
        dialogs.Find("#key-name").Input(name);
        dialogs.Find("#key-description").Change("  made by the dialog  ");
        if (exportable)
        {
            dialogs.SetSwitch("key-exportable", true);
        }

        // Act
        dialogs.Find("#key-save").Click();
        DialogResult? result = await dialog.Result.WaitAsync(Timeout);

        // Assert
        KmsKey created = Assert.IsType<KmsKey>(result?.Data);
        KmsKey stored = await Core.ReloadKeyAsync(created.Id);
        Assert.Equal(name, stored.Name);
        Assert.Equal("made by the dialog", stored.Description);
        Assert.Equal(KeyUsage.EncryptDecrypt, stored.Usage);
        Assert.Equal(KeyAlgorithm.Aes256Gcm, stored.Algorithm);
        Assert.Equal(exportable, stored.IsExportable);
        Assert.Equal(Core.Project.Id, stored.ProjectId);
    }

    [Fact]
    public async Task Create_ChosenSignAlgorithm_IsStoredOnTheKey()
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        (IRenderedComponent<MudDialogProvider> dialogs, IDialogReference dialog) = await ShowAddAsync();
        dialogs.Find("#key-name").Input("signing-p256");
        dialogs.Find("#usage-sign").Click();
        dialogs.OpenSelect("key-algorithm");
        popovers.ChooseOption("ECC_NIST_P256");

        dialogs.Find("#key-save").Click();
        DialogResult? result = await dialog.Result.WaitAsync(Timeout);

        KmsKey stored = await Core.ReloadKeyAsync(Assert.IsType<KmsKey>(result?.Data).Id);
        Assert.Equal(KeyUsage.SignVerify, stored.Usage);
        Assert.Equal(KeyAlgorithm.EccNistP256, stored.Algorithm);
    }

    [Fact]
    public async Task Create_DuplicateName_ShowsApiMessageAndStaysOpen()
    {
        await Core.CreateKeyAsync(Core.Project, "taken", KeyAlgorithm.Aes256Gcm);
        (IRenderedComponent<MudDialogProvider> dialogs, IDialogReference dialog) = await ShowAddAsync();
        dialogs.Find("#key-name").Input("taken");

        dialogs.Find("#key-save").Click();

        dialogs.WaitForAssertion(() => Assert.Equal(
            $"A KMS key with the name \"taken\" already exists for the project with ID \"{Core.Project.Id}\"",
            dialogs.Find("#key-error").TextContent.Trim()));
        Assert.False(dialog.Result.IsCompleted);
        Assert.False(dialogs.Find("#key-save").HasAttribute("disabled"));   // the user can fix the name and retry
    }

    [Fact]
    public async Task Edit_Existing_ShowsNameAndDescriptionOnlyAndSavesARename()
    {
        // Arrange
        KmsKey key = await Core.Keys.CreateAsync(Core.AdminActor,
            new CreateKeyRequest(Core.Project.Id.ToString(), "before-rename", "old text", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes128Gcm, true),
            CancellationToken.None);
        (IRenderedComponent<MudDialogProvider> dialogs, IDialogReference dialog) = await ShowAsync(new DialogParameters<KeyDialog>
        {
            { d => d.ProjectId, Core.Project.Id.ToString() },
            { d => d.Existing, key },
        });
        Assert.Equal("before-rename", dialogs.FieldValue("key-name"));
        Assert.Equal("old text", dialogs.FieldValue("key-description"));
        Assert.Empty(dialogs.FindAll("#key-usage"));
        Assert.Empty(dialogs.FindAll("#key-algorithm"));
        Assert.True(dialogs.Find("#key-exportable").HasAttribute("disabled"));
        Assert.True(dialogs.Find("#key-exportable").IsChecked());
        Assert.Contains("Fixed when the key was created.", dialogs.Markup);
        Assert.Equal("Save", dialogs.Find("#key-save").TextContent.Trim());

        // Act
        dialogs.Find("#key-name").Input("after-rename");
        dialogs.Find("#key-description").Change("new text");
        dialogs.Find("#key-save").Click();
        DialogResult? result = await dialog.Result.WaitAsync(Timeout);

        // Assert
        Assert.False(result?.Canceled ?? true);
        KmsKey stored = await Core.ReloadKeyAsync(key.Id);
        Assert.Equal("after-rename", stored.Name);
        Assert.Equal("new text", stored.Description);
        Assert.True(stored.IsExportable);
        Assert.Equal(KeyAlgorithm.Aes128Gcm, stored.Algorithm);
    }

    [Fact]
    public async Task Render_KeyUsageGroup_IsARadioGroupNamedByItsHeading()
    {
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAddAsync();

        var group = dialogs.Find("#key-usage");
        Assert.Equal("radiogroup", group.GetAttribute("role"));
        Assert.Equal("Key Usage", dialogs.Find($"#{group.GetAttribute("aria-labelledby")}").TextContent.Trim());
        // Each radio is named by its own label text.
        Assert.Equal(["Encrypt/Decrypt", "Sign/Verify", "Generate/Verify MAC"],
            group.QuerySelectorAll("label").Select(l => l.TextContent.Trim()).ToArray());
    }

    private Task<(IRenderedComponent<MudDialogProvider> Dialogs, IDialogReference Dialog)> ShowAddAsync() =>
        ShowAsync(new DialogParameters<KeyDialog> { { d => d.ProjectId, Core.Project.Id.ToString() } });
}
