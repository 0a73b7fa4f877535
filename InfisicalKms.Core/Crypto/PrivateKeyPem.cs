// Exported key material (spec §6.11) and imported key material (spec §7.15):
//   symmetric / HMAC   raw key bytes
//   RSA / ECC          ASCII of a PKCS#8 PEM: "-----BEGIN PRIVATE KEY-----", base64 of the PrivateKeyInfo DER
//                      at 64 characters per line, "-----END PRIVATE KEY-----", every line ending in LF
using System.Security.Cryptography;
using System.Text;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Core.Crypto;

/// <summary>Moves key material in and out in Infisical's formats, so keys travel between the two systems.</summary>
public static class PrivateKeyPem
{
    private const string Label = "PRIVATE KEY";

    /// <summary>The exported bytes for a key's material (its stored form: raw, or PKCS#8 DER).</summary>
    public static byte[] Export(KeyAlgorithm algorithm, ReadOnlySpan<byte> material)
    {
        if (algorithm.Usage() != KeyUsage.SignVerify)
        {
            return material.ToArray();
        }

        char[] pem = PemEncoding.Write(Label, material);
        byte[] text = Encoding.ASCII.GetBytes([.. pem, '\n']);
        CryptographicOperations.ZeroMemory(MemoryMarshalBytes(pem));
        return text;
    }

    /// <summary>
    /// Reads the PKCS#8 DER out of PEM text (LF or CRLF, any line length, trailing white space), checks that it
    /// is a private key of the algorithm, and returns the DER and the SPKI public key; otherwise the spec's message.
    /// </summary>
    public static bool TryImportAsymmetric(KeyAlgorithm algorithm, ReadOnlySpan<byte> pemText, out byte[] pkcs8, out byte[] publicKey, out string? error)
    {
        pkcs8 = [];
        publicKey = [];
        string name = algorithm.ToWire();
        error = $"Invalid key material for {name}: expected an unencrypted PKCS#8 PEM private key";
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(pemText);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        if (!PemEncoding.TryFind(text, out PemFields fields) || text[fields.Label] is not Label)
        {
            return false;
        }

        byte[] der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(text.AsSpan()[fields.Base64Data], der, out _))
        {
            return false;
        }

        try
        {
            if (algorithm == KeyAlgorithm.Rsa4096)
            {
                using RSA rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(der, out _);
                if (rsa.KeySize != KeyGenerator.RsaKeySizeInBits)
                {
                    error = $"Invalid key material for RSA_4096: expected a 4096-bit RSA key, got {rsa.KeySize} bits";
                    return false;
                }

                publicKey = rsa.ExportSubjectPublicKeyInfo();
                pkcs8 = rsa.ExportPkcs8PrivateKey();   // canonical DER, whatever optional fields the input had
            }
            else
            {
                string curve = algorithm switch { KeyAlgorithm.EccNistP256 => "P-256", KeyAlgorithm.EccNistP384 => "P-384", _ => "P-521" };
                error = $"Invalid key material for {name}: expected a private key on curve {curve}";
                using ECDsa ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(der, out _);
                if (ecdsa.ExportParameters(false).Curve.Oid.Value != CurveOid(algorithm))
                {
                    return false;
                }

                publicKey = ecdsa.ExportSubjectPublicKeyInfo();
                pkcs8 = ecdsa.ExportPkcs8PrivateKey();
            }

            error = null;
            return true;
        }
        catch (CryptographicException)
        {
            return false;   // not a key of this family (keeps the family's message set above)
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static string CurveOid(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EccNistP256 => "1.2.840.10045.3.1.7",
        KeyAlgorithm.EccNistP384 => "1.3.132.0.34",
        _ => "1.3.132.0.35",
    };

    private static Span<byte> MemoryMarshalBytes(char[] chars) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars.AsSpan());
}
