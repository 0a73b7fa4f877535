using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>
/// The one PKCS#11 library of the process (platform-notes P3): loaded and initialized on first use, never
/// finalized, shared by every token, protector and thread.
/// </summary>
/// <remarks>
/// A second <c>C_Initialize</c>/<c>C_Finalize</c> pair in one process breaks every other user of the
/// library (<c>CKR_CRYPTOKI_NOT_INITIALIZED</c>), so nothing here is disposable: a web host, a test host or
/// the root-key command can come and go without finalizing it. The library is opened
/// <see cref="AppType.MultiThreaded"/>, so sessions may be used from many threads at once.
/// </remarks>
internal static class Pkcs11Library
{
    private static readonly Lock Gate = new();
    private static IPkcs11Library? _library;
    private static string? _path;

    /// <summary>Pkcs11Interop's native loader asks for "libdl", which Debian 12 ships only as libdl.so.2 (P1).</summary>
    static Pkcs11Library()
    {
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, static (name, _, _) =>
            name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out IntPtr handle) ? handle : IntPtr.Zero);
    }

    public static Pkcs11InteropFactories Factories { get; } = new();

    /// <summary>Returns the process's library, loading <paramref name="path"/> the first time.</summary>
    /// <exception cref="RootKeyConfigurationException">The library cannot be loaded or initialized, or another one is loaded.</exception>
    public static IPkcs11Library Load(string path, ILogger logger)
    {
        lock (Gate)
        {
            if (_library is not null)
            {
                if (_path == path)
                {
                    return _library;
                }

                logger.LogError("The PKCS#11 library {Loaded} is already loaded in this process; {Requested} cannot be loaded too.", _path, path);
                throw new RootKeyConfigurationException(HsmMessages.CannotLoadLibrary(path));
            }

            try
            {
                _library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
                _path = path;
                return _library;
            }
            catch (Exception failure)
            {
                // The loader's detail (dlopen error, CKR code) helps the operator; it carries no secret.
                logger.LogError("Loading the PKCS#11 library {Path} failed: {Detail}", path, failure.Message);
                throw new RootKeyConfigurationException(HsmMessages.CannotLoadLibrary(path));
            }
        }
    }
}
