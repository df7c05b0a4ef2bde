using System.Text.Json;

namespace Autonomy.Common;

/// <summary>How an enum value is spelled on the wire and in the ledger: UPPER_SNAKE_CASE (e.g. ACTION_TYPE_DISABLED).</summary>
public static class WireName
{
    public static string Of<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseUpper.ConvertName(value.ToString());
}
