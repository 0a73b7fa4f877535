using System.Reflection;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components;
using InfisicalKms.Web.Components.Pages.Usage;
using MudBlazor;
using MudBlazor.Utilities;

namespace InfisicalKms.Tests.Web.Components.Pages.Usage;

/// <summary>
/// The chart colours are the theme's palette variables, and each bar stands out from the surface it is drawn
/// on in both the light and the dark theme: WCAG 1.4.11 asks 3:1 for graphical objects.
/// </summary>
public sealed class UsageChartColorTests
{
    public static TheoryData<string> Palettes => ["light", "dark"];

    [Theory]
    [MemberData(nameof(Palettes))]
    public void ChartColours_StandOutFromTheSurface(string mode)
    {
        Palette palette = mode == "dark" ? KmsTheme.Theme.PaletteDark : KmsTheme.Theme.PaletteLight;
        MudColor surface = new(palette.Surface.ToString());

        foreach (string variable in UsageChartData.ThemeColors)
        {
            MudColor colour = Over(Resolve(palette, variable), surface);
            double ratio = Wcag.Contrast(colour, surface);
            Assert.True(ratio >= 3, $"{mode} {variable} ({colour}): {ratio:F2}:1 on the surface is below 3:1");
        }
    }

    /// <summary>The palette value behind <c>var(--mud-palette-error-darken)</c>: the property ErrorDarken.</summary>
    private static MudColor Resolve(Palette palette, string variable)
    {
        Match name = Regex.Match(variable, @"^var\(--mud-palette-([a-z-]+)\)$");
        Assert.True(name.Success, $"{variable} is not a palette variable");
        string property = string.Concat(name.Groups[1].Value.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        PropertyInfo? info = palette.GetType().GetProperty(property);
        Assert.True(info is not null, $"the palette has no {property} for {variable}");
        return new MudColor(info.GetValue(palette)!.ToString()!);
    }

    /// <summary>A translucent colour as it looks on the surface.</summary>
    private static MudColor Over(MudColor c, MudColor surface)
    {
        double a = c.A / 255.0;
        byte Mix(byte fg, byte bg) => (byte)Math.Round(fg * a + bg * (1 - a));
        return new MudColor(Mix(c.R, surface.R), Mix(c.G, surface.G), Mix(c.B, surface.B), (byte)255);
    }
}
