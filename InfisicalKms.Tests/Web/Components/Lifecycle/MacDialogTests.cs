using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using InfisicalKms.Web.Components.Shared;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>The Generate MAC and Verify MAC panels against a real MAC key (spec §6.10, §6.12 HMAC vector).</summary>
public sealed class MacDialogTests : LifecycleBunitContext
{
    private const string VectorMac = "QRuaUehWXh/HlkOypsRnL0o8Plc8M9CZWgh0jLYSjo4=";
    private const string HelloWorldBase64 = "aGVsbG8gd29ybGQ=";

    [Fact]
    public async Task GenerateMac_TextInput_GivesTheSpecVectorAsync()
    {
        KmsKey key = await VectorKeyAsync();
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<GenerateMacDialog>("Generate MAC", new DialogParameters { { "Key", key } });
        Assert.Contains("HMAC_SHA_256", dialog.Find("#panel-key").TextContent, StringComparison.Ordinal);

        dialog.Find("#mac-data").Input("hello world");
        dialog.Find("#mac-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal(VectorMac, Value(dialog.Find("#mac-result"))), Patience);
    }

    [Fact]
    public async Task GenerateMac_Base64SwitchOn_DecodesTheInputFirstAsync()
    {
        KmsKey key = await VectorKeyAsync();
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<GenerateMacDialog>("Generate MAC", new DialogParameters { { "Key", key } });

        dialog.Find("#mac-base64").Change(true);
        dialog.Find("#mac-data").Input(HelloWorldBase64);
        dialog.Find("#mac-submit").Click();
        dialog.WaitForAssertion(() => Assert.Equal(VectorMac, Value(dialog.Find("#mac-result"))), Patience);

        // Switch off: the same characters are now the data themselves, so the MAC changes.
        dialog.Find("#mac-base64").Change(false);
        dialog.Find("#mac-submit").Click();
        dialog.WaitForAssertion(() =>
        {
            string mac = Value(dialog.Find("#mac-result"));
            Assert.NotEqual(VectorMac, mac);
            Assert.Equal(44, mac.Length);
        }, Patience);
    }

    [Fact]
    public async Task GenerateMac_InvalidBase64_IsBlockedWithAMessageAsync()
    {
        KmsKey key = await VectorKeyAsync();
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<GenerateMacDialog>("Generate MAC", new DialogParameters { { "Key", key } });

        dialog.Find("#mac-base64").Change(true);
        dialog.Find("#mac-data").Input("hello world");
        dialog.Find("#mac-submit").Click();

        dialog.WaitForAssertion(() => Assert.Contains(Base64Text.InvalidBase64Message, dialog.Markup, StringComparison.Ordinal), Patience);
        Assert.Empty(dialog.FindAll("#mac-result"));
        Assert.Empty(dialog.FindAll("#mac-error"));
    }

    [Fact]
    public async Task GenerateMac_DisabledKey_ShowsTheServicesRefusalAsync()
    {
        KmsKey key = await VectorKeyAsync();
        await Keys.UpdateAsync(Admin, key.Id, new UpdateKeyRequest(null, null, IsDisabled: true), CancellationToken.None);
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<GenerateMacDialog>("Generate MAC", new DialogParameters { { "Key", key } });

        dialog.Find("#mac-data").Input("hello world");
        dialog.Find("#mac-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal("Key is disabled", dialog.Find("#mac-error").TextContent.Trim()), Patience);
        Assert.Empty(dialog.FindAll("#mac-result"));
    }

    [Theory]
    [InlineData(false, "hello world", VectorMac, "Valid")]
    [InlineData(true, HelloWorldBase64, VectorMac, "Valid")]
    [InlineData(false, HelloWorldBase64, VectorMac, "Invalid")]
    [InlineData(false, "hello world!", VectorMac, "Invalid")]
    [InlineData(false, "hello world", "QRuaUehWXh/HlkOypsRnL0o8Plc8M9CZWgh0jLYSjo8=", "Invalid")]
    [InlineData(false, "hello world", "QRuaUehWXh/HlkOypsRnLw==", "Invalid")]
    public async Task VerifyMac_BothSwitchPositions_ShowValidOrInvalidAsync(bool isBase64, string data, string mac, string expected)
    {
        KmsKey key = await VectorKeyAsync();
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<VerifyMacDialog>("Verify MAC", new DialogParameters { { "Key", key } });

        if (isBase64)
        {
            dialog.Find("#verify-mac-base64").Change(true);
        }

        dialog.Find("#verify-mac-data").Input(data);
        dialog.Find("#verify-mac-mac").Input(mac);
        dialog.Find("#verify-mac-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal(expected, dialog.Find("#verify-mac-status").TextContent.Trim()), Patience);
    }

    [Theory]
    [InlineData(true, "hello world", VectorMac, "data")]
    [InlineData(false, "hello world", "not base64", "mac")]
    public async Task VerifyMac_InvalidBase64_IsBlockedWithAMessageAsync(bool isBase64, string data, string mac, string invalidField)
    {
        KmsKey key = await VectorKeyAsync();
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<VerifyMacDialog>("Verify MAC", new DialogParameters { { "Key", key } });

        if (isBase64)
        {
            dialog.Find("#verify-mac-base64").Change(true);
        }

        dialog.Find("#verify-mac-data").Input(data);
        dialog.Find("#verify-mac-mac").Input(mac);
        dialog.Find("#verify-mac-submit").Click();

        dialog.WaitForAssertion(() =>
        {
            IElement field = dialog.Find($"#verify-mac-{invalidField}");
            Assert.Equal("true", field.GetAttribute("aria-invalid"));
        }, Patience);
        string validField = invalidField == "data" ? "mac" : "data";
        Assert.Equal("false", dialog.Find($"#verify-mac-{validField}").GetAttribute("aria-invalid"));
        Assert.Contains(Base64Text.InvalidBase64Message, dialog.Markup, StringComparison.Ordinal);
        Assert.Empty(dialog.FindAll("#verify-mac-status"));
    }

    [Fact]
    public async Task VerifyMac_MacFromBeforeARotation_IsStillValidAsync()
    {
        KmsKey key = await VectorKeyAsync();
        await Lifecycle.RotateAsync(Admin, key.Id, CancellationToken.None);
        (IRenderedComponent<MudDialogProvider> dialog, _) = await ShowDialogAsync<VerifyMacDialog>("Verify MAC", new DialogParameters { { "Key", key } });

        dialog.Find("#verify-mac-data").Input("hello world");
        dialog.Find("#verify-mac-mac").Input(VectorMac);
        dialog.Find("#verify-mac-submit").Click();

        dialog.WaitForAssertion(() => Assert.Equal("Valid", dialog.Find("#verify-mac-status").TextContent.Trim()), Patience);
    }

    /// <summary>HMAC_SHA_256 with key bytes 0–31: the spec's HMAC vector key.</summary>
    private Task<KmsKey> VectorKeyAsync() =>
        ImportKeyAsync("mac-vector", KeyAlgorithm.HmacSha256, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    /// <summary>The text of an input or textarea as rendered.</summary>
    internal static string Value(IElement element) => element.GetAttribute("value") ?? element.TextContent;
}
