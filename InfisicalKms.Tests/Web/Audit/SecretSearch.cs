using System.Text;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Values that must never be stored in an audit record or written to a log, each with every form it could be
/// written in: as text, as standard base64 (how the API carries it), and as hex in either case.
/// </summary>
public sealed class SecretSearch
{
    /// <summary>Shorter forms could match by chance; every value the tests register is longer.</summary>
    private const int MinimumLength = 16;

    private readonly List<(string Label, string Form)> _forms = [];

    public IReadOnlyCollection<string> Labels => _forms.Select(f => f.Label).Distinct().ToList();

    /// <summary>A text value: itself, and its UTF-8 bytes in every encoding.</summary>
    public SecretSearch Text(string label, string value)
    {
        Add(label, value);
        return Bytes(label, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>A binary value in every encoding.</summary>
    public SecretSearch Bytes(string label, byte[] value)
    {
        Add(label + " (base64)", Convert.ToBase64String(value));
        Add(label + " (hex)", Convert.ToHexStringLower(value));
        Add(label + " (HEX)", Convert.ToHexString(value));
        return this;
    }

    /// <summary>A value the API carries as base64: the decoded bytes in every encoding.</summary>
    public SecretSearch Base64(string label, string base64) => Bytes(label, Convert.FromBase64String(base64));

    /// <summary>The label and form of every registered value found in <paramref name="haystack"/>.</summary>
    public List<string> FindIn(string haystack) =>
        _forms.Where(f => haystack.Contains(f.Form, StringComparison.Ordinal)).Select(f => $"{f.Label}: {f.Form}").ToList();

    /// <summary>The labels (without the form) found in <paramref name="haystack"/>.</summary>
    public HashSet<string> LabelsIn(string haystack) =>
        _forms.Where(f => haystack.Contains(f.Form, StringComparison.Ordinal)).Select(f => f.Label).ToHashSet();

    private void Add(string label, string form)
    {
        Assert.True(form.Length >= MinimumLength, $"{label} is too short to search for: {form}");
        _forms.Add((label, form));
    }
}
