using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>
/// The token chosen by HSM_TOKEN_LABEL or HSM_SLOT (spec §11.4), logged in as the normal user, and the one
/// way to run PKCS#11 calls on it (<see cref="WithSession{T}"/>).
/// </summary>
/// <remarks>
/// Login state belongs to the token and the process, not to one session: <c>C_Logout</c> on any session
/// logs out every session of the process. So each call opens its own read-write session, logs in
/// (tolerating <c>CKR_USER_ALREADY_LOGGED_IN</c>) and closes the session; nothing ever calls Logout.
/// Sessions are independent, so calls may run on many threads at once. A rejected PIN is remembered and
/// never sent again: tokens lock or wipe themselves after a few wrong PINs.
/// </remarks>
internal sealed class Pkcs11Token
{
    private static readonly CKR[] PinRejections =
        [CKR.CKR_PIN_INCORRECT, CKR.CKR_PIN_INVALID, CKR.CKR_PIN_LEN_RANGE, CKR.CKR_PIN_EXPIRED, CKR.CKR_PIN_LOCKED];

    private readonly ISlot _slot;
    private readonly HsmSettings _settings;
    private readonly HashSet<CKM> _mechanisms;
    private volatile string? _pinRejected;   // the refusal message, once the token rejected the PIN

    private Pkcs11Token(ISlot slot, ITokenInfo info, HsmSettings settings, HashSet<CKM> mechanisms)
    {
        _slot = slot;
        _settings = settings;
        _mechanisms = mechanisms;
        Label = info.Label.TrimEnd(' ');
        Manufacturer = info.ManufacturerId.TrimEnd(' ');
        Model = info.Model.TrimEnd(' ');
    }

    public string Label { get; }

    public string Manufacturer { get; }

    public string Model { get; }

    public static Pkcs11InteropFactories Factories => Pkcs11Library.Factories;

    /// <summary>Loads the library, selects the token and logs in once, so that a wrong PIN stops start-up here.</summary>
    public static Pkcs11Token Open(HsmSettings settings, ILogger logger)
    {
        IPkcs11Library library = Pkcs11Library.Load(settings.LibraryPath, logger);
        ISlot slot = SelectSlot(library, settings);
        HashSet<CKM> mechanisms;
        ITokenInfo info;
        try
        {
            info = slot.GetTokenInfo();
            mechanisms = [.. slot.GetMechanismList()];
        }
        catch (Pkcs11Exception failure)
        {
            throw new RootKeyConfigurationException($"HSM: reading the selected token failed ({failure.RV}).");
        }

        var token = new Pkcs11Token(slot, info, settings, mechanisms);
        token.WithSession(static _ => true);
        logger.LogInformation("Logged in to the HSM token {Token} ({Manufacturer}, {Model}).", token.Label, token.Manufacturer, token.Model);
        return token;
    }

    public bool Offers(CKM mechanism) => _mechanisms.Contains(mechanism);

    /// <summary>Runs <paramref name="action"/> on a fresh logged-in session, closed afterwards.</summary>
    /// <exception cref="RootKeyConfigurationException">No session, or the login failed.</exception>
    public T WithSession<T>(Func<ISession, T> action)
    {
        ISession session;
        try
        {
            session = _slot.OpenSession(SessionType.ReadWrite);
        }
        catch (Pkcs11Exception failure)
        {
            throw new RootKeyConfigurationException($"HSM: cannot open a session on the token \"{Label}\" ({failure.RV}).");
        }

        using (session)
        {
            LogIn(session);
            return action(session);
        }
    }

    private void LogIn(ISession session)
    {
        if (_pinRejected is { } rejected)
        {
            throw new RootKeyConfigurationException(rejected);
        }

        try
        {
            session.Login(CKU.CKU_USER, _settings.PinBytes);
        }
        catch (Pkcs11Exception failure) when (failure.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Another session of this process logged in already: the login is shared (see remarks).
        }
        catch (Pkcs11Exception failure) when (PinRejections.Contains(failure.RV))
        {
            _pinRejected = HsmMessages.PinRejected(failure.RV);
            throw new RootKeyConfigurationException(_pinRejected);
        }
        catch (Pkcs11Exception failure)
        {
            throw new RootKeyConfigurationException($"HSM: logging in to the token \"{Label}\" failed ({failure.RV}).");
        }
    }

    private static ISlot SelectSlot(IPkcs11Library library, HsmSettings settings)
    {
        List<ISlot> slots;
        try
        {
            slots = library.GetSlotList(SlotsType.WithTokenPresent);
        }
        catch (Pkcs11Exception failure)
        {
            throw new RootKeyConfigurationException($"HSM: listing the slots failed ({failure.RV}).");
        }

        if (settings.TokenLabel is not { } label)
        {
            return settings.SlotIndex < slots.Count
                ? slots[settings.SlotIndex]
                : throw new RootKeyConfigurationException(HsmMessages.SlotOutOfRange(settings.SlotIndex, slots.Count));
        }

        // Labels are blank-padded to 32 bytes on the token; slot ids may change, labels do not (P4).
        List<ISlot> matches = slots.Where(slot => LabelOf(slot) == label.TrimEnd(' ')).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new RootKeyConfigurationException(HsmMessages.NoTokenLabelled(label)),
            _ => throw new RootKeyConfigurationException(
                $"HSM_TOKEN_LABEL: {matches.Count} tokens are labelled \"{label}\"; the label must select exactly one."),
        };
    }

    private static string? LabelOf(ISlot slot)
    {
        try
        {
            return slot.GetTokenInfo().Label.TrimEnd(' ');
        }
        catch (Pkcs11Exception)
        {
            return null;   // a token that cannot describe itself cannot be the one asked for
        }
    }
}
