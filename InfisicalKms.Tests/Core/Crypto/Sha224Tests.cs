using System.Security.Cryptography;
using System.Text;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>
/// Core's own SHA-224 (FIPS 180-4) and HMAC-SHA-224 (RFC 2104), which back the legacy HMAC_SHA_224 keys: the
/// FIPS 180-4 example vectors, padding boundaries, and RFC 4231 test cases 1–7.
/// </summary>
public sealed class Sha224Tests
{
    [Theory]
    [InlineData("abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")]
    [InlineData("", "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525")]
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "c97ca9a559850ce97a04a96def6d99a9e0e0e2ab14e6b8df265fc0b3")]
    public void HashData_FipsVectors_Match(string message, string expectedHex)
    {
        byte[] digest = Sha224.HashData(Encoding.ASCII.GetBytes(message));

        Assert.Equal(Sha224.HashSize, digest.Length);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void HashData_FipsVector448Bits_IsTheTwoBlockCase()
    {
        // The 448-bit (56-byte) message: its padding no longer fits the first block.
        byte[] message = Encoding.ASCII.GetBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");

        Assert.Equal(56, message.Length);
        Assert.Equal("75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525", Convert.ToHexStringLower(Sha224.HashData(message)));
    }

    [Fact]
    public void HashData_OneMillionA_Matches()
    {
        byte[] message = new byte[1_000_000];
        message.AsSpan().Fill((byte)'a');

        Assert.Equal("20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67", Convert.ToHexStringLower(Sha224.HashData(message)));
    }

    /// <summary>Messages 0, 1, 2, … (mod 256) of lengths around the 64-byte block and its 55/56-byte padding limit.</summary>
    [Theory]
    [InlineData(55, "8991dfba74284e04dc7581c7c3e4068ff6cb7a63733361429834bb56")]
    [InlineData(56, "2b2cd637c16ad7290bb067ad7d8fd04e204fa43a84366afc7130f4ef")]
    [InlineData(63, "049e8dd7eab3378ce9f823bfb569e5b270235d4b7f9623606971998f")]
    [InlineData(64, "c37b88a3522dbf7ac30d1c68ea397ac11d4773571aed01ddab73531e")]
    [InlineData(65, "114b5fd665736a96585c5d5837d35250aed73c725252cbf7f8b121f6")]
    [InlineData(119, "762f18c0df65c3d0ea64126c8a6e51db4425e76d4d969ed0f83899be")]
    [InlineData(120, "d022deb78772a77e8b91d68f90ca1f636e8fe047ae219434ced18eef")]
    [InlineData(128, "67d88da33fd632d8742424791dface672ff59d597fe38b3f2a998386")]
    public void HashData_PaddingBoundaries_Match(int length, string expectedHex)
    {
        byte[] message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        Assert.Equal(expectedHex, Convert.ToHexStringLower(Sha224.HashData(message)));
    }

    public static TheoryData<string, byte[], byte[], string> Rfc4231 => new()
    {
        { "1", Repeat(0x0b, 20), Encoding.ASCII.GetBytes("Hi There"), "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22" },
        { "2", Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"), "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44" },
        { "3", Repeat(0xaa, 20), Repeat(0xdd, 50), "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea" },
        { "4", Enumerable.Range(1, 25).Select(i => (byte)i).ToArray(), Repeat(0xcd, 50), "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a" },
        { "5", Repeat(0x0c, 20), Encoding.ASCII.GetBytes("Test With Truncation"), "0e2aea68a90c8d37c988bcdb9fca6fa8" },
        { "6", Repeat(0xaa, 131), Encoding.ASCII.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First"),
            "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e" },
        { "7", Repeat(0xaa, 131), Encoding.ASCII.GetBytes(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
            "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1" },
    };

    [Theory]
    [MemberData(nameof(Rfc4231))]
    public void Hmac_Rfc4231TestCases_Match(string testCase, byte[] key, byte[] data, string expectedHex)
    {
        byte[] mac = Sha224.Hmac(key, data);

        Assert.Equal(28, mac.Length);
        // Test case 5 publishes only the first 128 bits (truncation); the others the full 224 bits.
        string actual = Convert.ToHexStringLower(mac);
        Assert.True(actual.StartsWith(expectedHex, StringComparison.Ordinal), $"RFC 4231 case {testCase}: {actual}");
        Assert.Equal(testCase == "5" ? 32 : 56, expectedHex.Length);
    }

    [Theory]
    [MemberData(nameof(Rfc4231))]
    public void MacComputer_HmacSha224_IsSha224HmacAndVerifiesInFullOnly(string testCase, byte[] key, byte[] data, string expectedHex)
    {
        byte[] mac = MacComputer.Compute(KeyAlgorithm.HmacSha224, key, data);

        Assert.StartsWith(expectedHex, Convert.ToHexStringLower(mac), StringComparison.Ordinal);
        Assert.True(MacComputer.Verify(KeyAlgorithm.HmacSha224, key, data, mac));
        Assert.False(MacComputer.Verify(KeyAlgorithm.HmacSha224, key, data, mac.AsSpan(0, 16)), $"case {testCase}: a truncated MAC is not valid (spec §6.10)");
    }

    [Fact]
    public void Hmac_DoesNotModifyTheCallersKeyOrData()
    {
        byte[] key = Repeat(0xaa, 131);
        byte[] data = Repeat(0x01, 70);

        Sha224.Hmac(key, data);

        Assert.Equal(Repeat(0xaa, 131), key);
        Assert.Equal(Repeat(0x01, 70), data);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void Hmac_KeyOfBlockSizeOrShorter_EqualsHashOfPaddedKeyConstruction(int keyLength)
    {
        // RFC 2104 spelled out with Sha224.HashData, independent of Hmac's own buffers.
        byte[] key = RandomNumberGenerator.GetBytes(keyLength);
        byte[] data = RandomNumberGenerator.GetBytes(100);
        byte[] k = new byte[64];
        (keyLength > 64 ? Sha224.HashData(key) : key).CopyTo(k, 0);
        byte[] inner = Sha224.HashData([.. k.Select(b => (byte)(b ^ 0x36)), .. data]);
        byte[] expected = Sha224.HashData([.. k.Select(b => (byte)(b ^ 0x5c)), .. inner]);

        Assert.Equal(expected, Sha224.Hmac(key, data));
    }

    private static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();
}
