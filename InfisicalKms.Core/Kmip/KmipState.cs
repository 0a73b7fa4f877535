namespace InfisicalKms.Core.Kmip;

/// <summary>The KMIP lifecycle states of a managed object (KMIP 1.4 §3.22).</summary>
public enum KmipState : uint
{
    PreActive = 0x01,
    Active = 0x02,
    Deactivated = 0x03,
    Compromised = 0x04,
    Destroyed = 0x05,
    DestroyedCompromised = 0x06,
}
