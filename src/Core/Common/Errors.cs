namespace Autonomy.Common;

/// <summary>
/// Domain errors that cross the grain boundary and leave the gateway as problem details. Each kind maps to one
/// status code; anything else is a 500.
/// </summary>
[GenerateSerializer, Alias("autonomy.AutonomyException")]
public abstract class AutonomyException(string message) : Exception(message);

/// <summary>Bad input: 400 naming the field.</summary>
[GenerateSerializer, Alias("autonomy.ValidationFailedException")]
public sealed class ValidationFailedException(string field, string message) : AutonomyException($"{field}: {message}")
{
    [Id(0)]
    public string Field { get; } = field;

    [Id(1)]
    public string Problem { get; } = message;
}

/// <summary>The caller may not do this: 403.</summary>
[GenerateSerializer, Alias("autonomy.ForbiddenException")]
public sealed class ForbiddenException(string message) : AutonomyException(message);

/// <summary>No such thing: 404.</summary>
[GenerateSerializer, Alias("autonomy.NotFoundException")]
public sealed class NotFoundException(string message) : AutonomyException(message);

/// <summary>The request conflicts with the current state: 409, with a stable code (e.g. ARGS_DIGEST_MISMATCH).</summary>
[GenerateSerializer, Alias("autonomy.ConflictException")]
public sealed class ConflictException(string code, string message) : AutonomyException(message)
{
    [Id(0)]
    public string Code { get; } = code;
}
