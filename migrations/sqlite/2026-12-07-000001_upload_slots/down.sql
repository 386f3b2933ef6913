DROP TABLE photo_reservations;
