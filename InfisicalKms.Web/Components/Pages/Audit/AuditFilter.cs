using System.Globalization;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>
/// The filters as the user is editing them. Only a valid state becomes an <see cref="AuditQuery"/>: an ID that
/// is not one, an unreadable date or an end not after its start is shown as an error and never queried.
/// </summary>
public sealed class AuditFilter
{
    /// <summary>The select value for "no filter".</summary>
    public const string Any = "any";

    /// <summary>The select value for "I'll paste an ID".</summary>
    public const string PastedId = "pasted";

    public string EventType { get; set; } = Any;

    /// <summary><see cref="Any"/>, <see cref="PastedId"/> or a key ID from the list.</summary>
    public string Key { get; set; } = Any;

    public string KeyIdText { get; set; } = "";

    /// <summary><see cref="Any"/>, <see cref="PastedId"/> or an actor ID from the list.</summary>
    public string Actor { get; set; } = Any;

    public string ActorIdText { get; set; } = "";

    /// <summary>As the date-time field sends it (<c>yyyy-MM-ddTHH:mm[:ss]</c>), read as UTC.</summary>
    public string StartText { get; set; } = "";

    public string EndText { get; set; } = "";

    public string? KeyIdError => Key == PastedId ? IdError(KeyIdText) : null;

    public string? ActorIdError => Actor == PastedId ? IdError(ActorIdText) : null;

    public string? StartError => DateError(StartText);

    public string? EndError => DateError(EndText)
        ?? (Parse(StartText) is { } start && Parse(EndText) is { } end && end <= start ? "End must be after start" : null);

    public bool IsValid => KeyIdError is null && ActorIdError is null && StartError is null && EndError is null;

    /// <summary>The first page of what the filters select.</summary>
    /// <exception cref="InvalidOperationException">The filters are not valid.</exception>
    public AuditQuery ToQuery()
    {
        if (!IsValid)
        {
            throw new InvalidOperationException("The filters are not valid.");
        }

        return new AuditQuery(
            EventType: EventType == Any ? null : EventType,
            KeyId: Id(Key, KeyIdText),
            ActorId: Id(Actor, ActorIdText),
            StartDate: Parse(StartText),
            EndDate: Parse(EndText));
    }

    /// <summary>A datetime-local value as UTC; null when empty or unreadable.</summary>
    public static DateTime? Parse(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime value)
            ? value
            : null;

    // An empty pasted ID filters nothing yet: the field's hint asks for one.
    private static Guid? Id(string choice, string pasted) => choice switch
    {
        Any => null,
        PastedId => string.IsNullOrWhiteSpace(pasted) ? null : Guid.Parse(pasted.Trim()),
        _ => Guid.Parse(choice),
    };

    private static string? IdError(string pasted) =>
        string.IsNullOrWhiteSpace(pasted) || Guid.TryParse(pasted.Trim(), out _) ? null : "Not an ID (expected a UUID)";

    private static string? DateError(string text) =>
        string.IsNullOrWhiteSpace(text) || Parse(text) is not null ? null : "Not a date and time";
}
