using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>Finding and generating the HSM keys (spec §11.4): found by class, key type and label.</summary>
internal static class Pkcs11Keys
{
    /// <summary>Every secret key of <paramref name="keyType"/> labelled <paramref name="label"/> (normally one).</summary>
    public static List<IObjectHandle> Find(ISession session, CKK keyType, string label)
    {
        var attributes = Pkcs11Token.Factories.ObjectAttributeFactory;
        return session.FindAllObjects(
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, keyType),
            attributes.Create(CKA.CKA_LABEL, label),
        ]);
    }

    /// <summary>Generates a 256-bit AES key, or a 256-bit generic secret for HMAC-SHA256, on the token.</summary>
    public static IObjectHandle Generate(ISession session, CKK keyType, string label) => session.GenerateKey(
        Pkcs11Token.Factories.MechanismFactory.Create(keyType == CKK.CKK_AES ? CKM.CKM_AES_KEY_GEN : CKM.CKM_GENERIC_SECRET_KEY_GEN),
        Template(keyType, label));

    /// <summary>Persistent, private, sensitive, never extractable, and only the usages the key needs (spec §11.4).</summary>
    private static List<IObjectAttribute> Template(CKK keyType, string label)
    {
        var attributes = Pkcs11Token.Factories.ObjectAttributeFactory;
        bool aes = keyType == CKK.CKK_AES;
        return
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, keyType),
            attributes.Create(CKA.CKA_VALUE_LEN, (ulong)RootKey.Size),
            attributes.Create(CKA.CKA_LABEL, label),
            attributes.Create(CKA.CKA_ID, System.Text.Encoding.UTF8.GetBytes(label)),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, false),
            attributes.Create(CKA.CKA_ENCRYPT, aes),
            attributes.Create(CKA.CKA_DECRYPT, aes),
            attributes.Create(CKA.CKA_SIGN, !aes),
            attributes.Create(CKA.CKA_VERIFY, !aes),
            attributes.Create(CKA.CKA_WRAP, false),
            attributes.Create(CKA.CKA_UNWRAP, false),
            attributes.Create(CKA.CKA_DERIVE, false),
        ];
    }
}
