using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Wycheproof AES-GCM vectors through <see cref="AesGcmCipher"/> (96-bit nonce, 128-bit tag only).</summary>
public sealed class WycheproofAesGcmTests
{
    private const string FileName = "aes_gcm_test.json";

    [Fact]
    public void EncryptAndTryDecrypt_WycheproofFile_MatchEveryResult()
    {
        WycheproofFile file = WycheproofVectors.Load(FileName);
        var failures = new List<string>();
        int checkedCount = 0;
        int skipped = 0;
        foreach (WycheproofGroup group in file.Groups)
        {
            Assert.Equal("AeadTest", group.Text("type"));
            if (group.Int("tagSize") != AesGcmCipher.TagSize * 8)
            {
                // TryDecrypt takes the tag as the last 16 bytes of the payload; it cannot even express
                // another tag size, so there is nothing to test. (The current file has only 128-bit tags.)
                skipped += group.Tests.Count;
                continue;
            }

            bool nonceSupported = group.Int("ivSize") == AesGcmCipher.NonceSize * 8;
            foreach (WycheproofTest test in group.Tests)
            {
                checkedCount++;
                string? problem;
                try
                {
                    problem = nonceSupported ? CheckSupported(test) : CheckNonceRefused(test);
                }
                catch (Exception ex)
                {
                    problem = $"threw {ex.GetType().Name}: {ex.Message}";
                }

                if (problem is not null)
                {
                    failures.Add(test.Describe(problem));
                }
            }
        }

        WycheproofVectors.AssertAllPassed(file, file.NumberOfTests - skipped, checkedCount, failures);
    }

    /// <summary>96-bit nonce: encryption reproduces ct‖tag, and TryDecrypt agrees with the label.</summary>
    private static string? CheckSupported(WycheproofTest test)
    {
        byte[] key = test.Hex("key");
        byte[] iv = test.Hex("iv");
        byte[] aad = test.Hex("aad");
        byte[] msg = test.Hex("msg");
        byte[] ct = test.Hex("ct");
        byte[] payload = [.. iv, .. ct, .. test.Hex("tag")];

        byte[] plaintext = new byte[ct.Length];
        bool opened = AesGcmCipher.TryDecrypt(key, payload, aad, plaintext);
        switch (test.Result)
        {
            case "valid":
                if (!opened)
                {
                    return "TryDecrypt rejected a valid vector";
                }

                if (!plaintext.AsSpan().SequenceEqual(msg))
                {
                    return "TryDecrypt returned the wrong plaintext";
                }

                byte[] encrypted = AesGcmCipher.Encrypt(key, msg, aad, iv);
                return encrypted.AsSpan().SequenceEqual(payload) ? null : "Encrypt did not reproduce iv‖ct‖tag";

            case "invalid":
                if (opened)
                {
                    return "TryDecrypt accepted an invalid vector";
                }

                return plaintext.All(b => b == 0) ? null : "TryDecrypt left output in the buffer after failing";

            case "acceptable":
                return null;   // none in this file; either verdict would be allowed

            default:
                return $"unknown result label '{test.Result}'";
        }
    }

    /// <summary>Any other nonce size: the primitive must refuse to encrypt (spec §6.2 fixes 12 bytes).</summary>
    private static string? CheckNonceRefused(WycheproofTest test)
    {
        try
        {
            AesGcmCipher.Encrypt(test.Hex("key"), test.Hex("msg"), test.Hex("aad"), test.Hex("iv"));
            return "Encrypt accepted a nonce that is not 12 bytes";
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
