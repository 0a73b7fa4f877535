namespace InfisicalKms.Core.RootKeys;

/// <summary>A start-up refusal (spec §11.3): the message names the variable at fault and never a secret value.</summary>
public sealed class RootKeyConfigurationException(string message) : Exception(message);
