using System.Text;
using CsCheck;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// The random choices of one case, all drawn from one CsCheck <see cref="PCG"/>: the PCG's text form before
/// the first draw is the case's seed, and replays it exactly.
/// </summary>
public sealed class FuzzRandom(PCG pcg)
{
    private static readonly Gen<string> Alphanumeric = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], 1, 12];

    /// <summary>Pieces of valid text: ASCII, characters JSON must escape, and non-ASCII from every UTF-8 length.</summary>
    private static readonly string[] TextPieces =
    [
        "a", "Z", "7", " ", "-", "_", ".", "/", "\\", "\"", "'", "<", ">", "&", "%", "+", "=", "\n", "\t", "\u0000", "\u001F",
        "é", "ß", "Ω", "中", "文", "\u200B", "\uFEFF", "\u2028", "😀", "𝄞", "\uFFFD",
    ];

    public int Int(int min, int max) => min + (int)pcg.Next((uint)(max - min + 1));

    public long Long(long min, long max) => min + (long)pcg.Next64((ulong)(max - min + 1));

    public bool Chance(int percent) => pcg.Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count - 1)];

    public byte[] Bytes(int count) => Gen.Byte.Array[count].Generate(pcg, null, out _);

    public Guid Guid() => new(Bytes(16));

    /// <summary>Lowercase letters and digits, 1 to 12 of them.</summary>
    public string Word() => Alphanumeric.Generate(pcg, null, out _);

    /// <summary>Valid Unicode text of <paramref name="min"/> to <paramref name="max"/> UTF-16 code units.</summary>
    public string Text(int min, int max)
    {
        int length = Int(min, max);
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            string piece = Chance(70) ? Word() : Pick(TextPieces);
            text.Append(piece.Length <= length - text.Length ? piece : "x");
        }

        return text.ToString();
    }

    /// <summary>A slug (spec §4.2) of <paramref name="min"/> to <paramref name="max"/> characters.</summary>
    public string Slug(int min, int max)
    {
        int length = Int(min, max);
        var slug = new StringBuilder(Word());
        while (slug.Length < length)
        {
            slug.Append(slug.Length + 2 <= length && Chance(20) ? "-" + Word()[..1] : Word());
        }

        string text = slug.ToString()[..length];
        return text.EndsWith('-') ? text[..^1] + "a" : text;
    }
}
