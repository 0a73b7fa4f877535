namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Hex in the specification's notation: "42 00 20 | 02 | 00 00 00 04 | ..." (spaces and bars ignored).</summary>
internal static class TtlvHex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "").Replace("|", ""));

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
