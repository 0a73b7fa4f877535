using MudBlazor.Utilities;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>WCAG 2.x relative luminance and contrast ratio, for the theme's colour checks.</summary>
public static class Wcag
{
    public static double Contrast(MudColor a, MudColor b)
    {
        double la = Luminance(a), lb = Luminance(b);
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(MudColor c)
    {
        static double Channel(byte v)
        {
            double s = v / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }

        return 0.2126 * Channel(c.R) + 0.7152 * Channel(c.G) + 0.0722 * Channel(c.B);
    }
}
