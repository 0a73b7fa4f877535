namespace InfisicalKms.Core.Audit;

/// <summary>How long audit records are kept: <c>Kms:Audit:RetentionDays</c>; absent, blank or 0 keeps them forever (the default).</summary>
/// <remarks>Options bound from <see cref="Section"/>; a bad value refuses start-up with <see cref="Invalid"/>.</remarks>
public sealed class AuditRetentionSettings
{
    public const string Section = "Kms:Audit";

    public const string Key = Section + ":" + nameof(RetentionDays);

    /// <summary>The refusal for a bad <see cref="Key"/>.</summary>
    public const string Invalid = Key + " must be a whole number of days (0 keeps audit records forever).";

    /// <summary>The setting as configured (bound as text, see <see cref="SettingNumbers"/>).</summary>
    public string? RetentionDays { get; set; }

    public bool IsValid => SettingNumbers.TryParse(RetentionDays, 0, int.MaxValue, out _);

    /// <summary>The retention period in days, or null to keep every record.</summary>
    public int? Days => SettingNumbers.Parse(RetentionDays, 0, int.MaxValue, Key) is { } days and > 0 ? days : null;
}
