using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Contract tests of spec §6.7/§6.8 over every (key algorithm, compatible signing algorithm) pair.</summary>
public sealed class AsymmetricSignerTests
{
    private static readonly byte[] Message = "hello world"u8.ToArray();

    /// <summary>The registry of spec §5.5: RSA_4096 with the six RSASSA_*, each ECC curve with the three ECDSA_*.</summary>
    private static readonly (KeyAlgorithm Key, SigningAlgorithm Signing)[] Registry =
    [
        .. new[]
        {
            SigningAlgorithm.RsassaPssSha512, SigningAlgorithm.RsassaPssSha384, SigningAlgorithm.RsassaPssSha256,
            SigningAlgorithm.RsassaPkcs1V15Sha512, SigningAlgorithm.RsassaPkcs1V15Sha384, SigningAlgorithm.RsassaPkcs1V15Sha256,
        }.Select(s => (KeyAlgorithm.Rsa4096, s)),
        .. from key in new[] { KeyAlgorithm.EccNistP256, KeyAlgorithm.EccNistP384, KeyAlgorithm.EccNistP521 }
           from s in new[] { SigningAlgorithm.EcdsaSha512, SigningAlgorithm.EcdsaSha384, SigningAlgorithm.EcdsaSha256 }
           select (key, s),
    ];

    public static TheoryData<KeyAlgorithm, SigningAlgorithm> Pairs => Where(_ => true);

    public static TheoryData<KeyAlgorithm, SigningAlgorithm> DigestPairs => Where(s => !s.IsPss());

    public static TheoryData<KeyAlgorithm, SigningAlgorithm> PssPairs => Where(s => s.IsPss());

    public static TheoryData<KeyAlgorithm, SigningAlgorithm> RsaPairs => Where(s => s.IsRsa());

    public static TheoryData<KeyAlgorithm, SigningAlgorithm> EcdsaPairs => Where(s => !s.IsRsa());

    [Fact]
    public void Registry_CoversEverySigningAlgorithmAndSignVerifyKey()
    {
        Assert.Equal(Enum.GetValues<SigningAlgorithm>().Order(), Registry.Select(p => p.Signing).Distinct().Order());
        Assert.Equal(
            Enum.GetValues<KeyAlgorithm>().Where(k => k.Usage() == KeyUsage.SignVerify).Order(),
            Registry.Select(p => p.Key).Distinct().Order());
        Assert.Equal(15, Registry.Length);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Sign_Message_VerifiesAndTamperingFails(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] spki = CryptoTestKeys.PublicKey(key);
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);
        byte[] otherMessage = [.. Message, 0x21];
        byte[] tampered = (byte[])signature.Clone();
        tampered[^1] ^= 0x01;

        Assert.True(AsymmetricSigner.Verify(spki, algorithm, Message, signature, isDigest: false));
        Assert.False(AsymmetricSigner.Verify(spki, algorithm, otherMessage, signature, isDigest: false));
        Assert.False(AsymmetricSigner.Verify(spki, algorithm, Message, tampered, isDigest: false));
    }

    [Theory]
    [MemberData(nameof(DigestPairs))]
    public void Sign_Digest_VerifiesAsDigestAndAsMessage(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] spki = CryptoTestKeys.PublicKey(key);
        byte[] digest = Hash(algorithm, Message);

        byte[] signature = Sign(key, algorithm, digest, isDigest: true);

        Assert.True(AsymmetricSigner.Verify(spki, algorithm, digest, signature, isDigest: true));
        Assert.True(AsymmetricSigner.Verify(spki, algorithm, Message, signature, isDigest: false));
        Assert.True(AsymmetricSigner.Verify(spki, algorithm, digest, Sign(key, algorithm, Message, isDigest: false), isDigest: true));
    }

    [Theory]
    [MemberData(nameof(PssPairs))]
    public void SignAndVerify_PssWithDigest_RefusedAndFalse(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] digest = Hash(algorithm, Message);
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);

        Assert.Throws<ArgumentException>(() => Sign(key, algorithm, digest, isDigest: true));
        Assert.False(AsymmetricSigner.Verify(CryptoTestKeys.PublicKey(key), algorithm, digest, signature, isDigest: true));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void SignAndVerify_DigestOfWrongLength_ThrowsAndFalse(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);
        byte[] tooShort = Hash(algorithm, Message)[..^1];
        byte[] tooLong = [.. Hash(algorithm, Message), 0];

        Assert.Throws<ArgumentException>(() => Sign(key, algorithm, tooShort, isDigest: true));
        Assert.False(AsymmetricSigner.Verify(CryptoTestKeys.PublicKey(key), algorithm, tooShort, signature, isDigest: true));
        Assert.False(AsymmetricSigner.Verify(CryptoTestKeys.PublicKey(key), algorithm, tooLong, signature, isDigest: true));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Verify_GarbageSignature_ReturnsFalseWithoutThrowing(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] spki = CryptoTestKeys.PublicKey(key);
        byte[][] garbage = [[], [0x30], [0x30, 0x00], new byte[512], RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(512), RandomNumberGenerator.GetBytes(513)];

        Assert.All(garbage, signature => Assert.False(AsymmetricSigner.Verify(spki, algorithm, Message, signature, isDigest: false)));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Verify_KeyOfOtherFamilyOrGarbageKey_ReturnsFalse(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);
        byte[] otherFamily = CryptoTestKeys.PublicKey(algorithm.IsRsa() ? KeyAlgorithm.EccNistP256 : KeyAlgorithm.Rsa4096);

        Assert.False(AsymmetricSigner.Verify(otherFamily, algorithm, Message, signature, isDigest: false));
        Assert.False(AsymmetricSigner.Verify([0x30, 0x03, 0x02, 0x01, 0x00], algorithm, Message, signature, isDigest: false));
    }

    [Theory]
    [MemberData(nameof(EcdsaPairs))]
    public void Sign_Ecdsa_IsDerAndVerifiesWithDotNet(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);
        using ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(CryptoTestKeys.PublicKey(key), out _);

        Assert.Equal(0x30, signature[0]);
        Assert.True(ecdsa.VerifyData(Message, signature, algorithm.Hash(), DSASignatureFormat.Rfc3279DerSequence));
    }

    [Theory]
    [MemberData(nameof(RsaPairs))]
    public void Sign_Rsa_Is512BytesAndVerifiesWithDotNet(KeyAlgorithm key, SigningAlgorithm algorithm)
    {
        byte[] signature = Sign(key, algorithm, Message, isDigest: false);
        using RSA rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(CryptoTestKeys.PublicKey(key), out _);
        RSASignaturePadding padding = algorithm.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

        Assert.Equal(512, signature.Length);
        Assert.True(rsa.VerifyData(Message, signature, algorithm.Hash(), padding));
        Assert.Equal(!algorithm.IsPss(), signature.AsSpan().SequenceEqual(Sign(key, algorithm, Message, isDigest: false)));   // PSS is salted
    }

    private static byte[] Sign(KeyAlgorithm key, SigningAlgorithm algorithm, byte[] data, bool isDigest) =>
        AsymmetricSigner.Sign(CryptoTestKeys.Get(key).Material.Span, algorithm, data, isDigest);

    private static byte[] Hash(SigningAlgorithm algorithm, byte[] data) => CryptographicOperations.HashData(algorithm.Hash(), data);

    private static TheoryData<KeyAlgorithm, SigningAlgorithm> Where(Func<SigningAlgorithm, bool> predicate)
    {
        var data = new TheoryData<KeyAlgorithm, SigningAlgorithm>();
        foreach ((KeyAlgorithm key, SigningAlgorithm signing) in Registry.Where(p => predicate(p.Signing)))
        {
            data.Add(key, signing);
        }

        return data;
    }
}
