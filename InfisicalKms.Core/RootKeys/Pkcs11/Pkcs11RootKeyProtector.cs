using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>Wraps the root key inside a PKCS#11 token (spec §11.4, strategy HSM).</summary>
/// <remarks>
/// Wrap formats (the mechanism is chosen at first wrap and recorded next to the wrapped key):
/// <code>
///   CKM_AES_GCM                       IV(12) ‖ ciphertext ‖ tag(16), aad "infisical-kms/root-key"
///   CKM_AES_CBC_PAD+CKM_SHA256_HMAC   IV(16) ‖ AES-256-CBC-PAD(rootKey) ‖ HMAC-SHA-256(IV ‖ ciphertext)(32)
/// </code>
/// IVs come from the token's random generator. The HMAC is verified (inside the token) before anything is
/// decrypted. Every unwrap failure is the same <c>null</c>, whatever the token said.
/// The keys never leave the token: they are generated there (sensitive, not extractable) and only when
/// the caller allows it, which start-up does only for an instance that has no root key yet.
/// </remarks>
public sealed class Pkcs11RootKeyProtector : IRootKeyProtector
{
    private const int GcmIvSize = 12;
    private const int GcmTagSize = 16;
    private const int CbcIvSize = 16;
    private const int CbcBlockSize = 16;
    private const int HmacSize = 32;

    private static readonly byte[] Aad = "infisical-kms/root-key"u8.ToArray();

    private readonly Pkcs11Token _token;
    private readonly HsmSettings _settings;
    private readonly HsmMechanism _mechanism;
    private readonly ILogger _logger;

    private Pkcs11RootKeyProtector(Pkcs11Token token, HsmSettings settings, HsmMechanism mechanism, ILogger logger)
    {
        _token = token;
        _settings = settings;
        _mechanism = mechanism;
        _logger = logger;
    }

    public RootKeyStrategy Strategy => RootKeyStrategy.Hsm;

    public string Source => $"HSM key \"{_settings.KeyLabel}\" on token \"{_token.Label}\"";

    public string Mechanism => _mechanism.ToRecordName();

    public RootKeyStatus Status => new(RootKeyStrategy.Hsm, Source)
    {
        Mechanism = Mechanism,
        TokenLabel = _token.Label,
        Manufacturer = _token.Manufacturer,
        Model = _token.Model,
    };

    /// <summary>Opens the token and finds (or, when allowed, generates) the keys the mechanism needs.</summary>
    /// <param name="recordedMechanism">The stored wrap's mechanism, or null to choose one for a new wrap.</param>
    /// <param name="allowKeyGeneration">True only when no root key is wrapped by this HSM yet.</param>
    /// <exception cref="RootKeyConfigurationException">Any HSM problem, with the message of spec §11.3–§11.4.</exception>
    public static Pkcs11RootKeyProtector Open(HsmSettings settings, string? recordedMechanism, bool allowKeyGeneration, ILogger logger)
    {
        Pkcs11Token token = Pkcs11Token.Open(settings, logger);
        HsmMechanism mechanism = recordedMechanism is null
            ? Choose(token, settings.MechanismPreference)
            : HsmMechanisms.FromRecordName(recordedMechanism);
        var protector = new Pkcs11RootKeyProtector(token, settings, mechanism, logger);
        protector.EnsureKey(CKK.CKK_AES, settings.KeyLabel, allowKeyGeneration);
        if (mechanism == HsmMechanism.AesCbcPadHmac)
        {
            protector.EnsureKey(CKK.CKK_GENERIC_SECRET, settings.HmacKeyLabel, allowKeyGeneration);
        }

        return protector;
    }

    /// <summary>32 bytes from the token's random generator: a new root key is born in the HSM.</summary>
    public byte[] GenerateRootKey() => Run("generating random bytes", session => session.GenerateRandom(RootKey.Size));

    public byte[] Wrap(ReadOnlySpan<byte> rootKey)
    {
        byte[] plain = rootKey.ToArray();
        try
        {
            return Run($"wrapping with the key labelled \"{_settings.KeyLabel}\"", session =>
                _mechanism == HsmMechanism.AesGcm ? WrapGcm(session, plain) : WrapCbcHmac(session, plain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public byte[]? TryUnwrap(ReadOnlySpan<byte> wrapped)
    {
        byte[] blob = wrapped.ToArray();
        byte[]? plain;
        try
        {
            plain = _token.WithSession(session =>
                _mechanism == HsmMechanism.AesGcm ? UnwrapGcm(session, blob) : UnwrapCbcHmac(session, blob));
        }
        catch (Pkcs11Exception failure)
        {
            _logger.LogWarning("HSM: Decryption failed ({Code}).", failure.RV);
            return null;
        }

        if (plain is { Length: not RootKey.Size })
        {
            CryptographicOperations.ZeroMemory(plain);
            return null;
        }

        return plain;
    }

    public override string ToString() => $"Pkcs11RootKeyProtector({Source}, {Mechanism})";

    private static HsmMechanism Choose(Pkcs11Token token, HsmMechanismPreference preference)
    {
        bool gcm = token.Offers(CKM.CKM_AES_GCM);
        bool cbcHmac = token.Offers(CKM.CKM_AES_CBC_PAD) && token.Offers(CKM.CKM_SHA256_HMAC);
        return preference switch
        {
            HsmMechanismPreference.Auto when gcm => HsmMechanism.AesGcm,
            HsmMechanismPreference.Auto when cbcHmac => HsmMechanism.AesCbcPadHmac,
            HsmMechanismPreference.Auto => throw new RootKeyConfigurationException(HsmMessages.NoMechanism),
            HsmMechanismPreference.AesGcm when gcm => HsmMechanism.AesGcm,
            HsmMechanismPreference.AesCbcPadHmac when cbcHmac => HsmMechanism.AesCbcPadHmac,
            _ => throw new RootKeyConfigurationException(
                $"{HsmSettings.MechanismSetting} asks for {preference}, but the token does not offer it."),
        };
    }

    private byte[] WrapGcm(ISession session, byte[] plain)
    {
        IObjectHandle key = FindKeys(session, CKK.CKK_AES, _settings.KeyLabel).FirstOrDefault() ?? throw MissingKey();
        byte[] iv = session.GenerateRandom(GcmIvSize);
        byte[] sealedKey = session.Encrypt(GcmMechanism(iv), key, plain);   // ciphertext ‖ tag(16)
        return [.. iv, .. sealedKey];
    }

    private byte[]? UnwrapGcm(ISession session, byte[] blob)
    {
        if (blob.Length < GcmIvSize + GcmTagSize)
        {
            return null;
        }

        byte[] iv = blob[..GcmIvSize];
        byte[] sealedKey = blob[GcmIvSize..];
        foreach (IObjectHandle key in FindKeys(session, CKK.CKK_AES, _settings.KeyLabel))
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

    private byte[] WrapCbcHmac(ISession session, byte[] plain)
    {
        IObjectHandle key = FindKeys(session, CKK.CKK_AES, _settings.KeyLabel).FirstOrDefault() ?? throw MissingKey();
        IObjectHandle macKey = FindKeys(session, CKK.CKK_GENERIC_SECRET, _settings.HmacKeyLabel).FirstOrDefault() ?? throw MissingKey();
        byte[] iv = session.GenerateRandom(CbcIvSize);
        byte[] ciphertext = session.Encrypt(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_CBC_PAD, iv), key, plain);
        byte[] authenticated = [.. iv, .. ciphertext];
        byte[] mac = session.Sign(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_SHA256_HMAC), macKey, authenticated);
        return [.. authenticated, .. mac];
    }

    private byte[]? UnwrapCbcHmac(ISession session, byte[] blob)
    {
        int ciphertextLength = blob.Length - CbcIvSize - HmacSize;
        if (ciphertextLength < CbcBlockSize || ciphertextLength % CbcBlockSize != 0)
        {
            return null;
        }

        byte[] authenticated = blob[..^HmacSize];
        byte[] mac = blob[^HmacSize..];
        bool authentic = false;
        foreach (IObjectHandle macKey in FindKeys(session, CKK.CKK_GENERIC_SECRET, _settings.HmacKeyLabel))
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
        foreach (IObjectHandle key in FindKeys(session, CKK.CKK_AES, _settings.KeyLabel))
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

    private static List<IObjectHandle> FindKeys(ISession session, CKK keyType, string label)
    {
        var attributes = Pkcs11Token.Factories.ObjectAttributeFactory;
        return session.FindAllObjects(
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, keyType),
            attributes.Create(CKA.CKA_LABEL, label),
        ]);
    }

    /// <summary>Finds the key; generates it when allowed, else refuses with the §11.3 message (never regenerate).</summary>
    private void EnsureKey(CKK keyType, string label, bool allowGeneration)
    {
        bool found = Run($"looking up the key labelled \"{label}\"", session => FindKeys(session, keyType, label).Count > 0);
        if (found)
        {
            return;
        }

        if (!allowGeneration)
        {
            throw MissingKey();
        }

        Run($"generating the key labelled \"{label}\"", session => session.GenerateKey(
            Pkcs11Token.Factories.MechanismFactory.Create(keyType == CKK.CKK_AES ? CKM.CKM_AES_KEY_GEN : CKM.CKM_GENERIC_SECRET_KEY_GEN),
            KeyTemplate(keyType, label)));
        _logger.LogInformation("Generated the HSM key labelled {Label} ({KeyType}, 256 bits, not extractable) on token {Token}.",
            label, keyType, _token.Label);
    }

    /// <summary>Persistent, private, sensitive, never extractable, and only the usages the key needs (spec §11.4).</summary>
    private static List<IObjectAttribute> KeyTemplate(CKK keyType, string label)
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

    private RootKeyConfigurationException MissingKey() => new(HsmMessages.CannotDecrypt(_settings.KeyLabel));

    /// <summary>Runs a call that must succeed; a token error becomes a start-up refusal naming the step.</summary>
    private T Run<T>(string step, Func<ISession, T> action)
    {
        try
        {
            return _token.WithSession(action);
        }
        catch (Pkcs11Exception failure)
        {
            throw new RootKeyConfigurationException($"HSM: {step} failed ({failure.RV}).");
        }
    }
}
