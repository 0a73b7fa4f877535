using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>The AES-GCM primitive of spec §6.2: nonce(12) ‖ ciphertext ‖ tag(16).</summary>
public sealed class AesGcmCipherTests
{
    public static TheoryData<string> SpecVectors => SpecBlobVectors.Names;

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Encrypt_SpecVectorNonce_ReproducesPayloadExactly(string name)
    {
        SpecBlobVector vector = SpecBlobVectors.Get(name);
        byte[] blob = vector.Blob;
        int suffix = vector.KeyVersion == 1 ? 3 : 7;

        byte[] payload = AesGcmCipher.Encrypt(vector.Key, vector.Plaintext, vector.Aad, SpecBlobVectors.Nonce);

        Assert.Equal(blob[..^suffix], payload);
    }

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void TryDecrypt_SpecVectorPayload_ReturnsPlaintext(string name)
    {
        SpecBlobVector vector = SpecBlobVectors.Get(name);
        byte[] payload = vector.Blob[..^(vector.KeyVersion == 1 ? 3 : 7)];
        byte[] plaintext = new byte[payload.Length - AesGcmCipher.Overhead];

        Assert.True(AesGcmCipher.TryDecrypt(vector.Key, payload, vector.Aad, plaintext));
        Assert.Equal(vector.Plaintext, plaintext);
    }

    [Theory]
    [InlineData(16, 0)]
    [InlineData(16, 1)]
    [InlineData(32, 0)]
    [InlineData(32, 1000)]
    public void Encrypt_RandomNonce_LayoutIsNonceCiphertextTagAndRoundTrips(int keySize, int plaintextSize)
    {
        byte[] key = RandomNumberGenerator.GetBytes(keySize);
        byte[] plaintext = RandomNumberGenerator.GetBytes(plaintextSize);
        byte[] aad = "tenant=acme"u8.ToArray();

        byte[] payload = AesGcmCipher.Encrypt(key, plaintext, aad);

        Assert.Equal(plaintextSize + AesGcmCipher.Overhead, payload.Length);
        Assert.Equal(payload, AesGcmCipher.Encrypt(key, plaintext, aad, payload[..AesGcmCipher.NonceSize]));
        Assert.Equal(plaintext, AesGcmCipher.Decrypt(key, payload, aad));
    }

    [Fact]
    public void Encrypt_SamePlaintextTwice_NoncesAndPayloadsDiffer()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);

        byte[] first = AesGcmCipher.Encrypt(key, "hello world"u8, []);
        byte[] second = AesGcmCipher.Encrypt(key, "hello world"u8, []);

        Assert.NotEqual(first[..AesGcmCipher.NonceSize], second[..AesGcmCipher.NonceSize]);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(16)]
    public void Encrypt_NonceNot12Bytes_ThrowsArgumentException(int nonceSize)
    {
        byte[] key = new byte[32];
        byte[] nonce = new byte[nonceSize];

        Assert.Throws<ArgumentException>(() => AesGcmCipher.Encrypt(key, "data"u8, [], nonce));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(20)]
    [InlineData(33)]
    public void EncryptAndTryDecrypt_BadKeySize_ThrowArgumentException(int keySize)
    {
        byte[] key = new byte[keySize];
        byte[] payload = new byte[AesGcmCipher.Overhead];

        Assert.Throws<ArgumentException>(() => AesGcmCipher.Encrypt(key, "data"u8, []));
        Assert.Throws<ArgumentException>(() => AesGcmCipher.TryDecrypt(key, payload, [], []));
    }

    [Theory]
    [InlineData(0)]                            // nonce
    [InlineData(AesGcmCipher.NonceSize)]       // first ciphertext byte
    [InlineData(AesGcmCipher.NonceSize + 5)]   // first tag byte (5-byte plaintext)
    [InlineData(AesGcmCipher.Overhead + 4)]    // last tag byte
    public void TryDecrypt_TamperedByte_ReturnsFalseAndZeroesOutput(int index)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] payload = AesGcmCipher.Encrypt(key, "hello"u8, []);
        payload[index] ^= 0x01;
        byte[] plaintext = [0xAA, 0xAA, 0xAA, 0xAA, 0xAA];

        Assert.False(AesGcmCipher.TryDecrypt(key, payload, [], plaintext));
        Assert.All(plaintext, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryDecrypt_WrongKey_ReturnsFalse()
    {
        byte[] payload = AesGcmCipher.Encrypt(RandomNumberGenerator.GetBytes(32), "hello"u8, []);

        Assert.False(AesGcmCipher.TryDecrypt(RandomNumberGenerator.GetBytes(32), payload, [], new byte[5]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(AesGcmCipher.NonceSize)]
    [InlineData(AesGcmCipher.Overhead - 1)]
    public void TryDecrypt_PayloadShorterThanOverhead_ReturnsFalse(int length)
    {
        byte[] key = new byte[32];

        Assert.False(AesGcmCipher.TryDecrypt(key, new byte[length], [], []));
        Assert.Null(AesGcmCipher.Decrypt(key, new byte[length], []));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void TryDecrypt_OutputBufferOfWrongLength_ReturnsFalse(int outputLength)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] payload = AesGcmCipher.Encrypt(key, "hello"u8, []);

        Assert.False(AesGcmCipher.TryDecrypt(key, payload, [], new byte[outputLength]));
    }

    [Fact]
    public void Decrypt_TamperedTag_ReturnsNull()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] payload = AesGcmCipher.Encrypt(key, "hello"u8, []);
        payload[^1] ^= 0x80;

        Assert.Null(AesGcmCipher.Decrypt(key, payload, []));
    }
}
