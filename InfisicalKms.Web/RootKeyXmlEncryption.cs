using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using InfisicalKms.Core.Envelope;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace InfisicalKms.Web;

/// <summary>
/// Encrypts each ASP.NET Core Data Protection key under the instance root key before it is stored, so the
/// key ring in the database (shared by every instance) holds no usable secret on its own. The stored
/// element is <c>&lt;sealedByRootKey&gt;base64(nonce ‖ ct ‖ tag)&lt;/sealedByRootKey&gt;</c>.
/// </summary>
internal sealed class RootKeyXmlEncryptor(EnvelopeEncryptor envelope) : IXmlEncryptor
{
    public const string Purpose = "InfisicalKms.DataProtectionKey.v1";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        byte[] plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        try
        {
            byte[] sealedKey = envelope.Seal(Purpose, plaintext);
            return new EncryptedXmlInfo(new XElement("sealedByRootKey", Convert.ToBase64String(sealedKey)), typeof(RootKeyXmlDecryptor));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>Opens what <see cref="RootKeyXmlEncryptor"/> sealed; Data Protection creates it by type, with the services.</summary>
internal sealed class RootKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        EnvelopeEncryptor envelope = services.GetRequiredService<EnvelopeEncryptor>();
        byte[] plaintext = envelope.Open(RootKeyXmlEncryptor.Purpose, Convert.FromBase64String(encryptedElement.Value));
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
