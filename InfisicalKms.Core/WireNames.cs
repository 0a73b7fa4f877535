namespace InfisicalKms.Core;

/// <summary>
/// The exact strings that stand for an enum on the wire, in declaration order (spec §5). The order matters:
/// validation messages list the values in it.
/// </summary>
public sealed class WireNames<TEnum> where TEnum : struct, Enum
{
    private readonly (TEnum Value, string Name)[] _entries;

    public WireNames(params (TEnum Value, string Name)[] entries) => _entries = entries;

    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    public IEnumerable<TEnum> Values => _entries.Select(e => e.Value);

    /// <summary>Case-sensitive lookup: <c>AES-256-GCM</c> is not <c>aes-256-gcm</c>.</summary>
    public bool TryParse(string? name, out TEnum value)
    {
        foreach ((TEnum v, string n) in _entries)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }

    public string Name(TEnum value)
    {
        foreach ((TEnum v, string n) in _entries)
        {
            if (EqualityComparer<TEnum>.Default.Equals(v, value))
            {
                return n;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, "No wire name.");
    }

    /// <summary>The spec's enum message: <c>Invalid enum value. Expected 'a' | 'b', received 'c'</c>.</summary>
    public string InvalidValueMessage(string received) =>
        $"Invalid enum value. Expected {string.Join(" | ", _entries.Select(e => $"'{e.Name}'"))}, received '{received}'";
}
