from tests.builders import User
from tests.harness import Harness


async def test_unknown_user_gets_invitation_hint(harness: Harness) -> None:
    calls = await harness.send(User(42), "hello")
    assert harness.texts(calls) 
    print(harness.texts(calls))
