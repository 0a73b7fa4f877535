using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>Wraps the root key inside a PKCS#11 token (spec §11.4, strategy HSM).</summary>
/// <remarks>
/// The mechanism is chosen at first wrap and recorded next to the wrapped key; the formats are in
/// <see cref="HsmWrapFormats"/>. Every unwrap failure is the same <c>null</c>, whatever the token said.
/// The keys never leave the token: they are generated there (sensitive, not extractable) and only when
/// the caller allows it, which start-up does only for an instance that has no root key yet.
/// </remarks>
public sealed class Pkcs11RootKeyProtector : IRootKeyProtector
{
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
                _mechanism == HsmMechanism.AesGcm
                    ? HsmWrapFormats.WrapGcm(session, _settings, plain)
                    : HsmWrapFormats.WrapCbcHmac(session, _settings, plain));
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
                _mechanism == HsmMechanism.AesGcm
                    ? HsmWrapFormats.UnwrapGcm(session, _settings, blob)
                    : HsmWrapFormats.UnwrapCbcHmac(session, _settings, blob));
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
            HsmMechanismPreference.AesGcm => throw new RootKeyConfigurationException(
                $"{HsmSettings.MechanismSetting} asks for CKM_AES_GCM, but the token does not offer it."),
            _ => throw new RootKeyConfigurationException(
                $"{HsmSettings.MechanismSetting} asks for CKM_AES_CBC_PAD, but the token does not offer it with CKM_SHA256_HMAC."),
        };
    }

    /// <summary>Finds the key; generates it when allowed, else refuses with the §11.3 message (never regenerate).</summary>
    private void EnsureKey(CKK keyType, string label, bool allowGeneration)
    {
        bool found = Run($"looking up the key labelled \"{label}\"", session => Pkcs11Keys.Find(session, keyType, label).Count > 0);
        if (found)
        {
            return;
        }

        if (!allowGeneration)
        {
            throw MissingKey();
        }

        Run($"generating the key labelled \"{label}\"", session => Pkcs11Keys.Generate(session, keyType, label));
        _logger.LogInformation("Generated the HSM key labelled {Label} ({KeyType}, 256 bits, not extractable) on token {Token}.",
            label, keyType, _token.Label);
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
