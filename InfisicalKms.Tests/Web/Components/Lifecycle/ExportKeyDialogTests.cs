using System.Security.Cryptography;
using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>The Export Key panel (spec §6.11): PEM for asymmetric keys, base64 for raw material, the refusal otherwise.</summary>
public sealed class ExportKeyDialogTests : LifecycleBunitContext
{
    [Fact]
    public async Task Export_ExportableEccKey_ShowsItsPkcs8PemAsync()
    {
        KmsKey key = await CreateKeyAsync("ecc-out", KeyUsage.SignVerify, KeyAlgorithm.EccNistP256, exportable: true);
        byte[] spki = await Services.GetRequiredService<KeyCryptoService>().GetPublicKeyAsync(Admin, key.Id, CancellationToken.None);

        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<ExportKeyDialog>("Export Key", new DialogParameters { { "Key", key } });

        string pem = "";
        dialog.WaitForAssertion(() => pem = MacDialogTests.Value(dialog.Find("#export-result")), Patience);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.EndsWith("-----END PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.Contains("Private key (PKCS#8 PEM)", dialog.Markup, StringComparison.Ordinal);
        using ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        Assert.Equal(spki, ecdsa.ExportSubjectPublicKeyInfo());
        Assert.Empty(dialog.FindAll("#export-error"));

        dialog.Find("#export-download").Click();
        dialog.WaitForAssertion(() => Assert.Equal(["ecc-out.pem", pem], JSInterop.VerifyInvoke("kms.download").Arguments), Patience);
    }

    [Theory]
    [InlineData(KeyAlgorithm.Aes256Gcm, 32)]
    [InlineData(KeyAlgorithm.HmacSha512, 100)]
    public async Task Export_ExportableRawKey_ShowsTheMaterialAsBase64Async(KeyAlgorithm algorithm, int length)
    {
        byte[] material = RandomNumberGenerator.GetBytes(length);
        KmsKey key = await ImportKeyAsync("raw-out", algorithm, material, exportable: true);

        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<ExportKeyDialog>("Export Key", new DialogParameters { { "Key", key } });

        dialog.WaitForAssertion(() => Assert.Equal(Convert.ToBase64String(material), MacDialogTests.Value(dialog.Find("#export-result"))), Patience);
        Assert.Contains("Key material (base64)", dialog.Markup, StringComparison.Ordinal);
        dialog.Find("#export-download").Click();
        // The click reaches the handler through the renderer's dispatcher, which may still be busy with the dialog.
        dialog.WaitForAssertion(() => Assert.Equal(["raw-out.key.b64", Convert.ToBase64String(material)], JSInterop.VerifyInvoke("kms.download").Arguments), Patience);
    }

    [Fact]
    public async Task Export_AfterRotation_ShowsTheCurrentVersionAsync()
    {
        byte[] material = RandomNumberGenerator.GetBytes(16);
        KmsKey key = await ImportKeyAsync("rotated-out", KeyAlgorithm.Aes128Gcm, material, exportable: true);
        await Lifecycle.RotateAsync(Admin, key.Id, CancellationToken.None);
        byte[] current = await Lifecycle.ExportAsync(Admin, key.Id, CancellationToken.None);

        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<ExportKeyDialog>("Export Key", new DialogParameters { { "Key", key } });

        dialog.WaitForAssertion(() => Assert.Equal(Convert.ToBase64String(current), MacDialogTests.Value(dialog.Find("#export-result"))), Patience);
        Assert.NotEqual(material, current);
    }

    [Fact]
    public async Task Export_NonExportableKey_ShowsTheRefusalAndNoMaterialAsync()
    {
        KmsKey key = await CreateKeyAsync("locked", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm, exportable: false);

        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<ExportKeyDialog>("Export Key", new DialogParameters { { "Key", key } });

        dialog.WaitForAssertion(() => Assert.Equal("You are not allowed to export this key", dialog.Find("#export-error").TextContent.Trim()), Patience);
        Assert.Empty(dialog.FindAll("#export-result"));
        Assert.Empty(dialog.FindAll("#export-download"));
    }
}
