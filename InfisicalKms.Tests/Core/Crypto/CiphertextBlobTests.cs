using System.Text;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Blob layout of spec §6.3 and the known-answer vectors of §6.12.</summary>
public sealed class CiphertextBlobTests
{
    public static TheoryData<string> SpecVectors => SpecBlobVectors.Names;

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Seal_SpecVector_ReproducesBlobExactly(string name)
    {
        SpecBlobVector vector = SpecBlobVectors.Get(name);

        byte[] blob = CiphertextBlob.Seal(AesGcmCipher.Encrypt(vector.Key, vector.Plaintext, vector.Aad, SpecBlobVectors.Nonce), vector.KeyVersion);

        Assert.Equal(vector.BlobBase64, Convert.ToBase64String(blob));
    }

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void TryOpen_SpecVector_DecryptsToPlaintext(string name)
    {
        SpecBlobVector vector = SpecBlobVectors.Get(name);

        byte[]? plaintext = SpecBlobVectors.Open(vector.Key, vector.Blob, vector.Aad);

        Assert.NotNull(plaintext);
        Assert.Equal(vector.Plaintext, plaintext);
    }

    [Fact]
    public void TryOpen_AadVectorWithoutAad_FailsToDecrypt()
    {
        SpecBlobVector vector = SpecBlobVectors.Get(SpecBlobVectors.V01WithAad);

        Assert.Null(SpecBlobVectors.Open(vector.Key, vector.Blob, aad: []));
    }

    [Fact]
    public void TryOpen_PlainVectorWithAad_FailsToDecrypt()
    {
        SpecBlobVector vector = SpecBlobVectors.Get(SpecBlobVectors.V01Aes256);

        Assert.Null(SpecBlobVectors.Open(vector.Key, vector.Blob, SpecBlobVectors.TenantAcme));
    }

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void TryOpen_AnySingleByteTampered_Fails(string name)
    {
        SpecBlobVector vector = SpecBlobVectors.Get(name);
        byte[] original = vector.Blob;
        var survivors = new List<int>();

        for (int i = 0; i < original.Length; i++)
        {
            byte[] tampered = (byte[])original.Clone();
            tampered[i] ^= 0x01;
            if (SpecBlobVectors.Open(vector.Key, tampered, vector.Aad) is not null)
            {
                survivors.Add(i);
            }
        }

        // Payload bytes break the tag; suffix bytes break recognition. The v02 version field is not
        // authenticated (spec §6.4 tries other versions), so a flipped version byte still decrypts.
        int versionStart = original.Length - 7;
        Assert.All(survivors, i => Assert.True(vector.KeyVersion > 1 && i >= versionStart && i < versionStart + 4, $"byte {i} tampered, blob still opened"));
    }

    [Theory]
    [InlineData("v03")]
    [InlineData("V01")]
    [InlineData("v1\0")]
    [InlineData("xyz")]
    public void TryOpen_UnknownSuffix_ReturnsFalse(string suffix)
    {
        byte[] blob = [.. new byte[40], .. Encoding.ASCII.GetBytes(suffix)];

        Assert.False(CiphertextBlob.TryOpen(blob, out _, out _));
    }

    [Theory]
    [InlineData("v01", 30)]
    [InlineData("v02", 34)]
    [InlineData("v01", 3)]
    [InlineData("v02", 3)]
    [InlineData("v0", 2)]
    [InlineData("", 0)]
    public void TryOpen_TooShort_ReturnsFalse(string suffix, int length)
    {
        byte[] blob = [.. new byte[length - suffix.Length], .. Encoding.ASCII.GetBytes(suffix)];

        Assert.False(CiphertextBlob.TryOpen(blob, out _, out _));
    }

    [Theory]
    [InlineData("v01", 31, 28)]
    [InlineData("v02", 35, 28)]
    public void TryOpen_MinimumLength_ReturnsEmptyPlaintextPayload(string suffix, int length, int expectedPayload)
    {
        byte[] blob = [.. new byte[length - suffix.Length], .. Encoding.ASCII.GetBytes(suffix)];

        Assert.True(CiphertextBlob.TryOpen(blob, out int payloadLength, out _));
        Assert.Equal(expectedPayload, payloadLength);
    }

    [Fact]
    public void Seal_VersionAboveOne_CarriesVersionBigEndianBeforeV02()
    {
        byte[] payload = [.. Enumerable.Range(0, 30).Select(i => (byte)i)];

        byte[] blob = CiphertextBlob.Seal(payload, 0x01020304);

        Assert.Equal(payload.Length + 7, blob.Length);
        Assert.Equal(payload, blob[..payload.Length]);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04, 0x76, 0x30, 0x32 }, blob[^7..]);
        Assert.True(CiphertextBlob.TryOpen(blob, out int payloadLength, out uint? version));
        Assert.Equal(payload.Length, payloadLength);
        Assert.Equal(0x01020304u, version);
    }

    [Fact]
    public void Seal_VersionOne_AppendsV01WithoutVersion()
    {
        byte[] payload = new byte[AesGcmCipher.Overhead + 5];

        byte[] blob = CiphertextBlob.Seal(payload, 1);

        Assert.Equal(new byte[] { 0x76, 0x30, 0x31 }, blob[^3..]);
        Assert.True(CiphertextBlob.TryOpen(blob, out int payloadLength, out uint? version));
        Assert.Equal(payload.Length, payloadLength);
        Assert.Null(version);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Seal_VersionBelowOne_ThrowsArgumentOutOfRange(int version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CiphertextBlob.Seal(new byte[AesGcmCipher.Overhead], version));

    [Fact]
    public void Encrypt_SamePlaintextTwice_BlobsDiffer()
    {
        SpecBlobVector vector = SpecBlobVectors.Get(SpecBlobVectors.V01Aes256);

        byte[] first = CiphertextBlob.Seal(AesGcmCipher.Encrypt(vector.Key, vector.Plaintext, []), 1);
        byte[] second = CiphertextBlob.Seal(AesGcmCipher.Encrypt(vector.Key, vector.Plaintext, []), 1);

        Assert.NotEqual(first[..AesGcmCipher.NonceSize], second[..AesGcmCipher.NonceSize]);
        Assert.NotEqual(first, second);
        Assert.Equal(vector.Plaintext, SpecBlobVectors.Open(vector.Key, first, []));
        Assert.Equal(vector.Plaintext, SpecBlobVectors.Open(vector.Key, second, []));
    }
}
