namespace InfisicalKms.Core.Audit;

/// <summary>
/// How long the audit writer may hold a batch open for more records (<c>Kms:Audit:CommitDelayMs</c>,
/// whole milliseconds, 0 to 100; 0 by default: every batch commits at once). See <see cref="AuditWriter"/>.
/// </summary>
/// <remarks>Options bound from <see cref="Section"/>; a bad value refuses start-up with <see cref="Invalid"/>.</remarks>
public sealed class AuditWriterSettings
{
    public const string Section = "Kms:Audit";

    public const string Key = Section + ":" + nameof(CommitDelayMs);

    public static readonly TimeSpan MaxCommitDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The refusal for a bad <see cref="Key"/>.</summary>
    public static readonly string Invalid =
        $"{Key} must be a whole number of milliseconds from 0 to {MaxCommitDelay.TotalMilliseconds} (0 commits audit records without waiting for others).";

    /// <summary>The setting as configured (bound as text, see <see cref="SettingNumbers"/>); absent or blank means 0.</summary>
    public string? CommitDelayMs { get; set; }

    public bool IsValid => SettingNumbers.TryParse(CommitDelayMs, 0, (int)MaxCommitDelay.TotalMilliseconds, out _);

    public TimeSpan CommitDelay =>
        TimeSpan.FromMilliseconds(SettingNumbers.Parse(CommitDelayMs, 0, (int)MaxCommitDelay.TotalMilliseconds, Key) ?? 0);
}
