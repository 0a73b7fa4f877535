using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>The two HSM wrap formats of spec §11.4, computed inside the token.</summary>
/// <remarks>
/// <code>
///   CKM_AES_GCM                       IV(12) ‖ ciphertext ‖ tag(16), aad "infisical-kms/root-key"
///   CKM_AES_CBC_PAD+CKM_SHA256_HMAC   IV(16) ‖ AES-256-CBC-PAD(rootKey) ‖ HMAC-SHA-256(IV ‖ ciphertext)(32)
/// </code>
/// IVs come from the token's random generator. The HMAC is verified (inside the token) before anything
/// is decrypted. Unwrapping tries every key with the label, in case two instances racing on an empty
/// database each generated one; a wrong key fails authentication (GCM, HMAC) rather than returning junk.
/// </remarks>
internal static class HsmWrapFormats
{
    private const int GcmIvSize = 12;
    private const int GcmTagSize = 16;
    private const int CbcIvSize = 16;
    private const int CbcBlockSize = 16;
    private const int HmacSize = 32;

    private static readonly byte[] Aad = "infisical-kms/root-key"u8.ToArray();

    public static byte[] WrapGcm(ISession session, HsmSettings settings, byte[] plain)
    {
        IObjectHandle key = Pkcs11Keys.Find(session, CKK.CKK_AES, settings.KeyLabel).FirstOrDefault() ?? throw new RootKeyConfigurationException(HsmMessages.CannotDecrypt(settings.KeyLabel));
        byte[] iv = session.GenerateRandom(GcmIvSize);
        byte[] sealedKey = session.Encrypt(GcmMechanism(iv), key, plain);   // ciphertext ‖ tag(16)
        return [.. iv, .. sealedKey];
    }

    public static byte[]? UnwrapGcm(ISession session, HsmSettings settings, byte[] blob)
    {
        if (blob.Length < GcmIvSize + GcmTagSize)
        {
            return null;
        }

        byte[] iv = blob[..GcmIvSize];
        byte[] sealedKey = blob[GcmIvSize..];
        foreach (IObjectHandle key in Pkcs11Keys.Find(session, CKK.CKK_AES, settings.KeyLabel))
        {
            try
            {
                return session.Decrypt(GcmMechanism(iv), key, sealedKey);
            }
            catch (Pkcs11Exception)
            {
                // A wrong key or a modified blob (SoftHSM says CKR_GENERAL_ERROR): try the next key, if any.
            }
        }

        return null;
    }

    public static byte[] WrapCbcHmac(ISession session, HsmSettings settings, byte[] plain)
    {
        IObjectHandle key = Pkcs11Keys.Find(session, CKK.CKK_AES, settings.KeyLabel).FirstOrDefault() ?? throw new RootKeyConfigurationException(HsmMessages.CannotDecrypt(settings.KeyLabel));
        IObjectHandle macKey = Pkcs11Keys.Find(session, CKK.CKK_GENERIC_SECRET, settings.HmacKeyLabel).FirstOrDefault() ?? throw new RootKeyConfigurationException(HsmMessages.CannotDecrypt(settings.KeyLabel));
        byte[] iv = session.GenerateRandom(CbcIvSize);
        byte[] ciphertext = session.Encrypt(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_CBC_PAD, iv), key, plain);
        byte[] authenticated = [.. iv, .. ciphertext];
        byte[] mac = session.Sign(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_SHA256_HMAC), macKey, authenticated);
        return [.. authenticated, .. mac];
    }

    public static byte[]? UnwrapCbcHmac(ISession session, HsmSettings settings, byte[] blob)
    {
        int ciphertextLength = blob.Length - CbcIvSize - HmacSize;
        if (ciphertextLength < CbcBlockSize || ciphertextLength % CbcBlockSize != 0)
        {
            return null;
        }

        byte[] authenticated = blob[..^HmacSize];
        byte[] mac = blob[^HmacSize..];
        bool authentic = false;
        foreach (IObjectHandle macKey in Pkcs11Keys.Find(session, CKK.CKK_GENERIC_SECRET, settings.HmacKeyLabel))
        {
            try
            {
                session.Verify(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_SHA256_HMAC), macKey, authenticated, mac, out authentic);
            }
            catch (Pkcs11Exception)
            {
                authentic = false;
            }

            if (authentic)
            {
                break;
            }
        }

        if (!authentic)
        {
            return null;   // never decrypt what the HMAC did not vouch for
        }

        byte[] iv = blob[..CbcIvSize];
        byte[] ciphertext = blob[CbcIvSize..^HmacSize];
        foreach (IObjectHandle key in Pkcs11Keys.Find(session, CKK.CKK_AES, settings.KeyLabel))
        {
            try
            {
                return session.Decrypt(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_CBC_PAD, iv), key, ciphertext);
            }
            catch (Pkcs11Exception)
            {
                // Bad padding under another key with the same label: try the next one, if any.
            }
        }

        return null;
    }

    private static IMechanism GcmMechanism(byte[] iv) => Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM,
        Pkcs11Token.Factories.MechanismParamsFactory.CreateCkGcmParams(iv, GcmIvSize * 8, Aad, GcmTagSize * 8));
}
