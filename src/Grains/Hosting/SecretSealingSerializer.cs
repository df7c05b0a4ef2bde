using Orleans.Storage;

namespace Autonomy.Hosting;

/// <summary>
/// A grain state that holds secrets: it maps each of them, so storage can encrypt them on the way out and decrypt them
/// on the way in. Listing them here, in one method per state type, is what keeps a new secret field from being stored
/// in plain text unnoticed (the tenant state's test reads the stored bytes).
/// </summary>
public interface IHoldsSecrets<T>
{
    /// <summary>
    /// This state with every secret replaced by <paramref name="map"/>'s result for it and its destination (where it may
    /// be sent, e.g. a connector's origin and header); a null result drops the secret. Null secrets stay null.
    /// </summary>
    T MapSecrets(Func<string, string, string?> map);
}

/// <summary>
/// Orleans' grain storage serializer with secrets sealed: a state that <see cref="IHoldsSecrets{T}"/> is written with
/// every secret encrypted (<see cref="SecretsAtRest.Protect"/>) and read back decrypted, so the database holds
/// ciphertext only while grains work with the plain values. Plain secrets stored before this are read as they are and
/// encrypted at the state's next write. Every other state passes through unchanged.
/// </summary>
public sealed class SecretSealingSerializer(IGrainStorageSerializer inner, SecretsAtRest secrets) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) =>
        inner.Serialize(input is IHoldsSecrets<T> holder ? holder.MapSecrets(secrets.Protect) : input);

    public T? Deserialize<T>(BinaryData input)
    {
        var value = inner.Deserialize<T>(input);
        return value is IHoldsSecrets<T> holder ? holder.MapSecrets(secrets.Reveal) : value;
    }
}
