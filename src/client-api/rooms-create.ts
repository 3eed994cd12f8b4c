import { MatrixError } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { createRoom } from "../rooms/create-room.ts";
import { parseCreateRoomRequest } from "./create-room-request.ts";
import { clientPaths } from "./paths.ts";
import { readContentBody } from "./room-body.ts";

/** POST /createRoom. */
export const createRoomRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/createRoom"), requireAuth(ctx), async (c) => {
    const requester = c.get("requester");
    if (requester.isGuest)
      throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may not create rooms");
    const options = parseCreateRoomRequest(ctx, requester.userId, await readContentBody(c));
    const { roomId } = await createRoom(ctx, options);
    return c.json({ room_id: roomId });
  });
};
