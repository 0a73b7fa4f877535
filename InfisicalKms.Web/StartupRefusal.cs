using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Web;

/// <summary>
/// What the server and its operator commands print when they refuse to run: one line per reason, no stack
/// trace. A reason is a <see cref="RootKeyConfigurationException"/> or a failure of the settings' validation
/// (<see cref="OptionsValidationException"/>, one line per bad value, several classes at once in an
/// <see cref="AggregateException"/>).
/// </summary>
internal static class StartupRefusal
{
    /// <summary>The lines to print, or null when <paramref name="e"/> is not a refusal (a bug: it keeps its stack trace).</summary>
    public static IReadOnlyList<string>? Reasons(Exception e) => e switch
    {
        RootKeyConfigurationException refusal => [refusal.Message],
        OptionsValidationException invalid => [.. invalid.Failures],
        AggregateException all when all.InnerExceptions.Count > 0 && all.InnerExceptions.All(i => Reasons(i) is not null) =>
            [.. all.InnerExceptions.SelectMany(i => Reasons(i)!)],
        _ => null,
    };
}
