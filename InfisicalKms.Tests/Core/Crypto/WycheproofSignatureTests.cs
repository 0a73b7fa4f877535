using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Wycheproof ECDSA verification vectors (DER signatures) through <see cref="AsymmetricSigner.Verify"/>.</summary>
/// <remarks>Any hash goes with any curve (spec §5.5), so P-256 with SHA-512 is a real combination.</remarks>
public sealed class WycheproofEcdsaTests
{
    [Theory]
    [InlineData("ecdsa_secp256r1_sha256_test.json", SigningAlgorithm.EcdsaSha256)]
    [InlineData("ecdsa_secp256r1_sha512_test.json", SigningAlgorithm.EcdsaSha512)]
    [InlineData("ecdsa_secp384r1_sha384_test.json", SigningAlgorithm.EcdsaSha384)]
    [InlineData("ecdsa_secp521r1_sha512_test.json", SigningAlgorithm.EcdsaSha512)]
    public void Verify_WycheproofFile_MatchesEveryResult(string fileName, SigningAlgorithm algorithm) =>
        WycheproofSignatures.VerifyAll(fileName, algorithm, "EcdsaVerify");
}

/// <summary>Wycheproof RSASSA-PKCS1-v1_5 verification vectors, 4096-bit keys.</summary>
public sealed class WycheproofRsaPkcs1Tests
{
    [Theory]
    [InlineData("rsa_signature_4096_sha256_test.json", SigningAlgorithm.RsassaPkcs1V15Sha256)]
    [InlineData("rsa_signature_4096_sha512_test.json", SigningAlgorithm.RsassaPkcs1V15Sha512)]
    public void Verify_WycheproofFile_MatchesEveryResult(string fileName, SigningAlgorithm algorithm) =>
        WycheproofSignatures.VerifyAll(fileName, algorithm, "RsassaPkcs1Verify");
}

/// <summary>Wycheproof RSASSA-PSS verification vectors, 4096-bit keys, MGF1 with the message hash, salt = hash length.</summary>
public sealed class WycheproofRsaPssTests
{
    [Theory]
    [InlineData("rsa_pss_4096_sha256_mgf1_32_test.json", SigningAlgorithm.RsassaPssSha256)]
    [InlineData("rsa_pss_4096_sha512_mgf1_64_test.json", SigningAlgorithm.RsassaPssSha512)]
    public void Verify_WycheproofFile_MatchesEveryResult(string fileName, SigningAlgorithm algorithm) =>
        WycheproofSignatures.VerifyAll(fileName, algorithm, "RsassaPssVerify");
}

/// <summary>Runs every vector of a signature file through the Core verifier and collects the mismatches.</summary>
internal static class WycheproofSignatures
{
    public static void VerifyAll(string fileName, SigningAlgorithm algorithm, string groupType)
    {
        WycheproofFile file = WycheproofVectors.Load(fileName);
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (WycheproofGroup group in file.Groups)
        {
            CheckGroupMatches(group, algorithm, groupType);
            byte[] publicKey = group.Hex("publicKeyDer");   // SubjectPublicKeyInfo DER, as the KMS stores it
            foreach (WycheproofTest test in group.Tests)
            {
                checkedCount++;
                if (Check(test, publicKey, algorithm) is string problem)
                {
                    failures.Add(test.Describe(problem));
                }
            }
        }

        WycheproofVectors.AssertAllPassed(file, file.NumberOfTests, checkedCount, failures);
    }

    /// <summary>Null when the verdict agrees with <c>result</c>; otherwise what went wrong.</summary>
    private static string? Check(WycheproofTest test, byte[] publicKey, SigningAlgorithm algorithm)
    {
        bool verified;
        try
        {
            verified = AsymmetricSigner.Verify(publicKey, algorithm, test.Hex("msg"), test.Hex("sig"), isDigest: false);
        }
        catch (Exception ex)
        {
            // Spec §6.7: a malformed signature yields false, never an exception, whatever the result label.
            return $"Verify threw {ex.GetType().Name}: {ex.Message}";
        }

        return test.Result switch
        {
            "valid" => verified ? null : "valid signature was rejected",
            "invalid" => verified ? "invalid signature was accepted" : null,
            "acceptable" => null,   // legacy form: either verdict is allowed, only an exception would fail
            _ => $"unknown result label '{test.Result}'",
        };
    }

    /// <summary>The vectors only apply when the group's parameters are exactly the algorithm's (spec §6.7).</summary>
    private static void CheckGroupMatches(WycheproofGroup group, SigningAlgorithm algorithm, string groupType)
    {
        Assert.Equal(groupType, group.Text("type"));
        string sha = group.Text("sha");
        Assert.Equal(algorithm.Hash().Name, sha.Replace("-", "", StringComparison.Ordinal));
        if (algorithm.IsPss())
        {
            Assert.Equal("MGF1", group.Text("mgf"));
            Assert.Equal(sha, group.Text("mgfSha"));
            Assert.Equal(algorithm.HashSize(), group.Int("sLen"));
        }
    }
}
