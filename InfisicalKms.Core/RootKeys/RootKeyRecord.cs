namespace InfisicalKms.Core.RootKeys;

/// <summary>The one stored, wrapped root key of the instance (row id 1), with how it is wrapped.</summary>
public sealed class RootKeyRecord
{
    /// <summary>Always <see cref="SingletonId"/>: the primary key makes "exactly one creates it" a database guarantee.</summary>
    public int Id { get; set; } = SingletonId;

    public const int SingletonId = 1;

    public required RootKeyStrategy Strategy { get; set; }

    /// <summary>For HSM wraps, the PKCS#11 mechanism chosen at first wrap; "AES-256-GCM" for software wraps.</summary>
    public required string Mechanism { get; set; }

    public required byte[] WrappedKey { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
