using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InfisicalKms.Core.Audit;

/// <summary>The chain hash of spec §10.7.3: SHA-256 over the previous hash and length-prefixed fields.</summary>
public static class AuditHash
{
    /// <summary>The <c>prevHash</c> of a chain's first record.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>The emitted form of a timestamp (spec §1.6): UTC, milliseconds, <c>Z</c>.</summary>
    public static string FormatTime(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Truncates (never rounds) to whole milliseconds.</summary>
    public static DateTime TruncateToMilliseconds(DateTime utc) =>
        new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    public static string Compute(AuditEvent e)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes(e.PrevHash));
        foreach (string? field in new[]
                 {
                     Format(e.Id), e.EventType, e.ActorType, Format(e.ActorId), e.ActorName, Format(e.ProjectId), Format(e.KeyId),
                     e.IpAddress, e.UserAgent, e.Outcome, FormatTime(e.CreatedAt),
                 })
        {
            AppendField(hash, field);
        }

        List<KeyValuePair<byte[], string>> entries = e.Metadata
            .Select(m => KeyValuePair.Create(Encoding.UTF8.GetBytes(m.Key), m.Value))
            .OrderBy(m => m.Key, ByteOrder.Instance).ToList();
        AppendLength(hash, entries.Count);
        foreach ((byte[] key, string value) in entries)
        {
            AppendLength(hash, key.Length);
            hash.AppendData(key);
            AppendField(hash, value);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Whether <paramref name="e"/> carries the hash its fields produce (constant-time comparison).</summary>
    public static bool Matches(AuditEvent e)
    {
        byte[] expected = Encoding.ASCII.GetBytes(Compute(e));
        byte[] stored = Encoding.ASCII.GetBytes(e.Hash);
        return CryptographicOperations.FixedTimeEquals(expected, stored);
    }

    private static string? Format(Guid? id) => id?.ToString("D");

    private static void AppendField(IncrementalHash hash, string? value)
    {
        if (value is null)
        {
            hash.AppendData([0xFF, 0xFF, 0xFF, 0xFF]);
            return;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(value);
        AppendLength(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AppendLength(IncrementalHash hash, int length)
    {
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        hash.AppendData(prefix);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
