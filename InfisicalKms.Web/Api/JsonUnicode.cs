using System.Buffers.Text;
using System.Text.Json;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Finds strings in JSON text that are not valid Unicode: an escaped UTF-16 surrogate without its partner
/// (<c>"\ud800"</c>, <c>"\udc00x"</c>). JSON's grammar allows them, but they name no character, and
/// <see cref="JsonElement.GetString"/> throws on them. Raw bytes that are not UTF-8 are a separate, earlier check.
/// </summary>
public static class JsonUnicode
{
    public const string UnpairedSurrogate = "String contains an unpaired UTF-16 surrogate";

    /// <summary>
    /// The JSON path (<c>keys[2].name</c>) of the first string with an unpaired surrogate escape, or of the
    /// object whose member name has one (<c>""</c> for the root); null when there is none. The elements of
    /// <paramref name="skipArrayMember"/>, an array member of the root object, are not looked at: a batch
    /// checks each of its items on its own.
    /// </summary>
    public static string? FindUnpairedSurrogate(ReadOnlySpan<byte> json, string? skipArrayMember = null)
    {
        // Fast path: nothing is escaped as \uXXXX.
        if (json.IndexOf("\\u"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        var frames = new List<Frame>();   // the open objects and arrays, outermost first
        string? name = null;              // the member name before the current value
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    if (reader.ValueIsEscaped && HasUnpairedSurrogate(reader.ValueSpan))
                    {
                        return Join(frames, "");
                    }

                    name = reader.GetString();
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    bool isArray = reader.TokenType == JsonTokenType.StartArray;
                    if (frames.Count == 1 && isArray && skipArrayMember is not null && name == skipArrayMember)
                    {
                        reader.Skip();
                        break;
                    }

                    frames.Add(new Frame(Segment(frames, name), isArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
                default:
                    string segment = Segment(frames, name);
                    if (reader.TokenType == JsonTokenType.String && reader.ValueIsEscaped && HasUnpairedSurrogate(reader.ValueSpan))
                    {
                        return Join(frames, segment);
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>Whether the escaped text of one JSON string (already valid JSON) has a lone surrogate escape.</summary>
    public static bool HasUnpairedSurrogate(ReadOnlySpan<byte> escaped)
    {
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\')
            {
                continue;
            }

            if (escaped[i + 1] != 'u')
            {
                i++;   // a two-character escape such as \" or \\
                continue;
            }

            int unit = Hex(escaped.Slice(i + 2, 4));
            i += 5;
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return true;   // a low surrogate with no high surrogate before it
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                bool paired = i + 6 < escaped.Length && escaped[i + 1] == '\\' && escaped[i + 2] == 'u'
                    && Hex(escaped.Slice(i + 3, 4)) is >= 0xDC00 and <= 0xDFFF;
                if (!paired)
                {
                    return true;
                }

                i += 6;
            }
        }

        return false;
    }

    private static int Hex(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out ushort value, out int consumed, 'X') && consumed == 4 ? value : -1;

    /// <summary>How the next value is addressed inside the innermost open container; advances an array's index.</summary>
    private static string Segment(List<Frame> frames, string? name) =>
        frames.Count == 0 ? ""
        : frames[^1].IsArray ? $"[{frames[^1].Next++}]"
        : "." + name;

    private static string Join(List<Frame> frames, string leaf) =>
        string.Concat(frames.Select(f => f.Segment).Append(leaf)).TrimStart('.');

    private sealed class Frame(string segment, bool isArray)
    {
        public string Segment { get; } = segment;

        public bool IsArray { get; } = isArray;

        public int Next { get; set; }
    }
}
