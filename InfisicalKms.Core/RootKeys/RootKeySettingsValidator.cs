using Microsoft.Extensions.Options;

namespace InfisicalKms.Core.RootKeys;

/// <summary>Start-up refuses malformed wrapping-key variables: every one reported, each by its name (spec §11.3).</summary>
internal sealed class RootKeySettingsValidator : IValidateOptions<RootKeySettings>
{
    public ValidateOptionsResult Validate(string? name, RootKeySettings options)
    {
        List<string> problems = [.. options.Problems()];
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
