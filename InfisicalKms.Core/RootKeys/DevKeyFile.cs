using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.RootKeys;

/// <summary>The development-only wrapping key file <c>root-encryption-key.dev</c> (spec §11.6).</summary>
internal static class DevKeyFile
{
    public static IRootKeyProtectorLease OpenOrCreate(string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            byte[] key = RandomNumberGenerator.GetBytes(32);
            // Created owner-only from the first byte on, where the file system allows it.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
                writer.Write(Convert.ToBase64String(key) + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs (a half-written file fails to decode below).
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        return TryOpen(path, logger) ?? throw new RootKeyConfigurationException(
            $"The development key file {path} is not the base64 encoding of exactly 32 bytes.");
    }

    public static IRootKeyProtectorLease? TryOpen(string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        byte[]? key = RootKeySettings.DecodeBase64Key(File.ReadAllText(path).TrimEnd('\n', '\r'));
        if (key is null)
        {
            return null;
        }

        logger.LogWarning("DEVELOPMENT ONLY: no ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or HSM is configured. " +
            "Using the local root encryption key file {Path}. Never use this outside development.", path);
        var protector = new SoftwareRootKeyProtector(key, path);
        CryptographicOperations.ZeroMemory(key);
        return new FileLease(protector);
    }

    private sealed class FileLease(SoftwareRootKeyProtector protector) : IRootKeyProtectorLease
    {
        public IRootKeyProtector Protector => protector;

        public void Dispose() => protector.Dispose();
    }
}
