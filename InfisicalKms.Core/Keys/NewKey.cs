using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Core.Keys;

/// <summary>Adds a new key and its version-1 material, wrapped by the root key: shared by create and import.</summary>
internal static class NewKey
{
    public static KmsKey Add(
        KmsDbContext db, EnvelopeEncryptor envelope, Project project, string name, string? description, KeyAlgorithm algorithm,
        bool isExportable, ReadOnlySpan<byte> material, byte[]? publicKey, DateTime now)
    {
        var key = new KmsKey
        {
            Id = Guid.CreateVersion7(),
            ProjectId = project.Id,
            OrganizationId = project.OrganizationId,
            Name = name,
            Description = description,
            Usage = algorithm.Usage(),
            Algorithm = algorithm,
            IsExportable = isExportable,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Keys.Add(key);
        db.KeyVersions.Add(new KeyVersion
        {
            KeyId = key.Id,
            Version = 1,
            WrappedMaterial = envelope.Wrap(key.Id, 1, material),
            PublicKey = publicKey,
            CreatedAt = now,
        });
        return key;
    }
}
