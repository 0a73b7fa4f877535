using System.Globalization;
using Bunit;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components;
using InfisicalKms.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Extensions;
using MudBlazor.Utilities;

namespace InfisicalKms.Tests.Web.Components;

/// <summary>
/// One theme for the app and the static account pages (issue #15): the app's providers use it and close every
/// dialog on Escape; the account layout renders its light palette on :root and its dark palette under
/// :root.kms-dark (theme.js picks one); and its status and dark primary colours keep WCAG AA contrast.
/// </summary>
public sealed class KmsThemeTests : BunitContext, IAsyncLifetime
{
    public KmsThemeTests()
    {
        this.AddMudTestServices();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void MudProviders_UseTheThemeAndCloseDialogsOnEscape()
    {
        IRenderedComponent<MudProviders> providers = Render<MudProviders>(p => p.Add(x => x.DarkMode, true));

        Assert.True(providers.FindComponent<MudDialogProvider>().Instance.CloseOnEscapeKey);
        MudThemeProvider theme = providers.FindComponent<MudThemeProvider>().Instance;
        Assert.Same(KmsTheme.Theme, theme.Theme);
        Assert.True(theme.GetState(x => x.IsDarkMode));
    }

    [Fact]
    public void AccountLayout_RendersBothPalettesOfTheAppTheme()
    {
        IRenderedComponent<AccountLayout> layout = Render<AccountLayout>(p =>
            p.Add(x => x.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1>Sign in</h1>"))));

        string markup = layout.Markup;
        int light = markup.IndexOf(":root{", StringComparison.Ordinal);
        int dark = markup.IndexOf(":root.kms-dark{", StringComparison.Ordinal);
        Assert.True(light >= 0 && light < dark, "the light palette on :root, then the dark one under :root.kms-dark");
        Assert.Contains($"--mud-palette-primary: {Rgba(KmsTheme.Theme.PaletteLight.Primary)};", markup[..dark]);
        Assert.Contains($"--mud-palette-primary: {Rgba(KmsTheme.Theme.PaletteDark.Primary)};", markup[dark..]);
        Assert.Contains("<h1>Sign in</h1>", markup);
    }

    [Fact]
    public void Palettes_TextOnStatusAndPrimaryColours_MeetsWcagAa()
    {
        Palette light = KmsTheme.Theme.PaletteLight;
        Palette dark = KmsTheme.Theme.PaletteDark;
        var pairs = new (string What, MudColor Text, MudColor Background)[]
        {
            ("light primary button", light.PrimaryContrastText, light.Primary),
            ("light success snackbar", light.SuccessContrastText, light.Success),
            ("light error snackbar", light.ErrorContrastText, light.Error),
            ("light info snackbar", light.InfoContrastText, light.Info),
            ("light warning snackbar", light.WarningContrastText, light.Warning),
            ("dark primary button", dark.PrimaryContrastText, dark.Primary),
            ("dark error button", dark.ErrorContrastText, dark.Error),
            ("dark primary link on the surface", dark.Primary, dark.Surface),
            ("dark secondary text (the current breadcrumb) on the background", dark.TextSecondary, dark.Background),
            ("dark secondary text on the surface", dark.TextSecondary, dark.Surface),
        };

        foreach ((string what, MudColor text, MudColor background) in pairs)
        {
            double ratio = Wcag.Contrast(text, background);
            Assert.True(ratio >= 4.5, $"{what}: {ratio:F2}:1 is below 4.5:1");
        }
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await base.DisposeAsync();

    private static string Rgba(MudColor c) => $"rgba({c.R},{c.G},{c.B},{(c.A / 255.0).ToString(CultureInfo.InvariantCulture)})";
}
