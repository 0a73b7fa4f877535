using MudBlazor;

namespace InfisicalKms.Web.Components;

/// <summary>
/// The one MudBlazor theme of the web interface: the interactive app (<see cref="MudProviders"/>) and the
/// static account pages (sign-in, set-up, two-factor) render their colours from it.
/// </summary>
public static class KmsTheme
{
    /// <summary>Where the app keeps the dark-mode choice (browser local storage, "true" or "false").</summary>
    public const string DarkModeStorageKey = "kms.darkMode";

    /// <summary>The class wwwroot/theme.js puts on the html element of a page while dark mode is chosen.</summary>
    public const string DarkModeClass = "kms-dark";

    /// <summary>The theme; its CSS variables land on <c>:root</c>.</summary>
    public static MudTheme Theme { get; } = Create();

    /// <summary>
    /// The same theme with its variables under <c>:root.kms-dark</c>: a static page cannot ask the browser for
    /// the stored choice before it renders, so it carries both palettes and theme.js picks one before the
    /// first paint.
    /// </summary>
    public static MudTheme DarkForStaticPages { get; } = Create(scope: $":root.{DarkModeClass}");

    // MudBlazor's defaults, but with WCAG AA contrast (4.5:1) where they fall short: the light palette's status
    // colours carry white text in snackbars and filled alerts (2.2:1 to 3.7:1 by default), so they are darker;
    // the dark palette's primary and error colours are links and buttons on dark surfaces (2.8:1 and 3.5:1), so
    // they are lighter and carry dark text. The light tertiary colour (a usage chart series) is a darker teal:
    // MudBlazor's is 2.1:1 on white, below the 3:1 a chart's bars need. The dark palette's secondary text (the
    // current page's breadcrumb, captions) is an opaque grey a little lighter than MudBlazor's 50% white, which
    // is 4.4:1 on the dark background.
    private static MudTheme Create(string scope = ":root") => new()
    {
        PseudoCss = new PseudoCss { Scope = scope },
        PaletteLight = new PaletteLight
        {
            Success = "#2e7d32",
            Error = "#d32f2f",
            Info = "#1565c0",
            Warning = "#a15c00",
            Tertiary = "#00796b",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#aaa2f3",
            PrimaryContrastText = "#1e1e2d",
            Error = "#ff8a95",
            ErrorContrastText = "#1e1e2d",
            TextSecondary = "#a9aab0",
        },
    };
}
