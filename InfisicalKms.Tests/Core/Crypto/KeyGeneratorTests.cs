using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Key material of spec §6.1 for every <see cref="KeyAlgorithm"/>.</summary>
public sealed class KeyGeneratorTests
{
    /// <summary>Symmetric and HMAC algorithms with their key size in bytes (spec §5.2).</summary>
    public static TheoryData<KeyAlgorithm, int> SymmetricSizes => new()
    {
        { KeyAlgorithm.Aes256Gcm, 32 },
        { KeyAlgorithm.Aes128Gcm, 16 },
        { KeyAlgorithm.HmacSha1, 20 },
        { KeyAlgorithm.HmacSha224, 28 },
        { KeyAlgorithm.HmacSha256, 32 },
        { KeyAlgorithm.HmacSha384, 48 },
        { KeyAlgorithm.HmacSha512, 64 },
    };

    /// <summary>ECC algorithms with their curve OID and size in bits.</summary>
    public static TheoryData<KeyAlgorithm, string, int> Curves => new()
    {
        { KeyAlgorithm.EccNistP256, "1.2.840.10045.3.1.7", 256 },
        { KeyAlgorithm.EccNistP384, "1.3.132.0.34", 384 },
        { KeyAlgorithm.EccNistP521, "1.3.132.0.35", 521 },
    };

    [Fact]
    public void Registry_CoversEveryKeyAlgorithm()
    {
        IEnumerable<KeyAlgorithm> covered = SymmetricSizes.Select(row => (KeyAlgorithm)row[0])
            .Concat(Curves.Select(row => (KeyAlgorithm)row[0]))
            .Append(KeyAlgorithm.Rsa4096);

        Assert.Equal(Enum.GetValues<KeyAlgorithm>().Order(), covered.Order());
    }

    [Theory]
    [MemberData(nameof(SymmetricSizes))]
    public void Generate_SymmetricAlgorithm_HasHashOrKeySizeAndNoPublicKey(KeyAlgorithm algorithm, int size)
    {
        using GeneratedKey first = KeyGenerator.Generate(algorithm);
        using GeneratedKey second = KeyGenerator.Generate(algorithm);

        Assert.Equal(size, KeyGenerator.SymmetricKeySize(algorithm));
        Assert.Equal(size, first.Material.Length);
        Assert.Equal(size, first.Material.Span.Length);
        Assert.Null(first.PublicKey);
        Assert.False(first.Material.Span.SequenceEqual(second.Material.Span), "two generated keys are equal");
    }

    [Theory]
    [InlineData(KeyAlgorithm.Rsa4096)]
    [InlineData(KeyAlgorithm.EccNistP256)]
    public void SymmetricKeySize_AsymmetricAlgorithm_ThrowsArgumentOutOfRange(KeyAlgorithm algorithm) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyGenerator.SymmetricKeySize(algorithm));

    [Fact]
    public void Generate_Rsa4096_Has4096BitModulusAndExponent65537()
    {
        GeneratedKey key = CryptoTestKeys.Get(KeyAlgorithm.Rsa4096);
        using RSA privateKey = RSA.Create();
        privateKey.ImportPkcs8PrivateKey(key.Material.Span, out int read);
        using RSA publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(CryptoTestKeys.PublicKey(KeyAlgorithm.Rsa4096), out _);
        RSAParameters parameters = publicKey.ExportParameters(includePrivateParameters: false);

        Assert.Equal(key.Material.Length, read);
        Assert.Equal(4096, KeyGenerator.RsaKeySizeInBits);
        Assert.Equal(4096, publicKey.KeySize);
        Assert.Equal(512, parameters.Modulus!.Length);
        Assert.True(parameters.Modulus[0] >= 0x80, "the modulus is shorter than 4096 bits");
        Assert.Equal(new byte[] { 0x01, 0x00, 0x01 }, parameters.Exponent);
        Assert.Equal(parameters.Modulus, privateKey.ExportParameters(includePrivateParameters: false).Modulus);
    }

    [Theory]
    [MemberData(nameof(Curves))]
    public void Generate_Ecc_KeyIsOnNamedCurveAndSpkiMatches(KeyAlgorithm algorithm, string oid, int bits)
    {
        using GeneratedKey key = KeyGenerator.Generate(algorithm);
        using ECDsa privateKey = ECDsa.Create();
        privateKey.ImportPkcs8PrivateKey(key.Material.Span, out int read);
        using ECDsa publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(key.PublicKey ?? throw new InvalidOperationException("no public key"), out _);
        ECParameters publicParameters = publicKey.ExportParameters(includePrivateParameters: false);
        ECParameters privateParameters = privateKey.ExportParameters(includePrivateParameters: false);

        Assert.Equal(key.Material.Length, read);
        Assert.Equal(bits, publicKey.KeySize);
        Assert.True(publicParameters.Curve.IsNamed);
        Assert.Equal(oid, publicParameters.Curve.Oid.Value);
        Assert.Equal(oid, privateParameters.Curve.Oid.Value);
        Assert.Equal(oid, KeyGenerator.Curve(algorithm).Oid.Value);
        Assert.Equal(privateParameters.Q.X, publicParameters.Q.X);
        Assert.Equal(privateParameters.Q.Y, publicParameters.Q.Y);
    }

    [Fact]
    public void Dispose_GeneratedKey_DisposesMaterial()
    {
        GeneratedKey key = KeyGenerator.Generate(KeyAlgorithm.Aes256Gcm);

        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Material.Span.Length);
    }
}
